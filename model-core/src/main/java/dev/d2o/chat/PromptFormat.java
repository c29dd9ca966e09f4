package dev.d2o.chat;

import java.util.Arrays;
import java.util.Locale;

/**
 * How prompts become model input ({@code data.promptFormat}): {@code chat} renders them with the
 * model's chat template, {@code raw} feeds the text as it is, {@code auto} is chat when the model
 * (or a template file) has a template and raw otherwise.
 */
public enum PromptFormat {
  AUTO,
  CHAT,
  RAW;

  /**
   * Parses {@code auto}, {@code chat} or {@code raw}; the error names the value and the choices.
   */
  public static PromptFormat parse(String value) {
    for (PromptFormat f : values()) {
      if (f.key().equals(value)) {
        return f;
      }
    }
    throw new IllegalArgumentException(
        "prompt format '" + value + "' is not one of " + Arrays.toString(keys()));
  }

  /** The configuration spelling: {@code auto}, {@code chat}, {@code raw}. */
  public String key() {
    return name().toLowerCase(Locale.ROOT);
  }

  private static String[] keys() {
    return Arrays.stream(values()).map(PromptFormat::key).toArray(String[]::new);
  }
}
