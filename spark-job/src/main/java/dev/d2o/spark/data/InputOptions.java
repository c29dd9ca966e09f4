package dev.d2o.spark.data;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import java.io.Serializable;

/**
 * How an input is read: its format, its preset and which of its columns are the prompt, the
 * negative and the id ({@code data.format}, {@code data.preset}, {@code data.columns.*}).
 *
 * @param format auto, parquet, jsonl or delta
 * @param preset none or a public data set's layout ({@link Preset})
 * @param promptColumn the prompt's column (preset none)
 * @param negativeColumn the negative's column (preset none); empty: {@code negative}, or its alias
 * @param idColumn the id's column; when the input has none, rows are numbered {@code row-<n>}
 */
public record InputOptions(
    String format, String preset, String promptColumn, String negativeColumn, String idColumn)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The options of {@code cfg}. */
  public static InputOptions of(JobConfig cfg) {
    return new InputOptions(
        cfg.get(Keys.DATA_FORMAT),
        cfg.get(Keys.DATA_PRESET),
        cfg.get(Keys.DATA_COLUMN_PROMPT),
        cfg.get(Keys.DATA_COLUMN_NEGATIVE),
        cfg.get(Keys.DATA_COLUMN_ID));
  }

  /** The plain layout ({@code prompt}, {@code negative} or {@code rejected}, {@code id}). */
  public static InputOptions format(String format) {
    return new InputOptions(format, "none", "prompt", "", "id");
  }

  /** These options with another preset. */
  public InputOptions withPreset(String p) {
    return new InputOptions(format, p, promptColumn, negativeColumn, idColumn);
  }
}
