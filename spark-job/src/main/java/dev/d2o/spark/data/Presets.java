package dev.d2o.spark.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;

import dev.d2o.error.InputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The first step of reading an input: the user's column names ({@code data.columns.*}) and the
 * layout of a public data set ({@code data.preset}) become the columns every stage reads ({@code
 * id, prompt, negative}, and {@value Conversations#COLUMN} for multi-turn prompts), before {@link
 * InputData} checks the values. An input row that a preset cannot use keeps its id and gets a
 * reason in {@value #SKIP}, so that it is counted and written to the rejects like any other
 * rejected row.
 */
final class Presets {
  /** The column of a preset's reason to skip a row. */
  static final String SKIP = "_skip";

  /** What a preset gives, per row. */
  static final StructType OUT =
      new StructType()
          .add("id", DataTypes.StringType, true)
          .add("prompt", DataTypes.StringType, true)
          .add("negative", DataTypes.StringType, true)
          .add(Conversations.COLUMN, Conversations.TYPE, true)
          .add("_corrupt", DataTypes.StringType, true)
          .add(SKIP, DataTypes.StringType, true);

  private Presets() {}

  /**
   * {@code raw} with the columns every stage reads: {@code id, prompt, negative, _corrupt} and the
   * {@code columns}' optional ones (preset none), or {@link #OUT} (a preset).
   */
  static Dataset<Row> normalise(
      Dataset<Row> raw, String location, InputColumns columns, InputOptions opts) {
    Preset preset = Preset.parse(opts.preset());
    Dataset<Row> df = rename(raw, location, "id", opts.idColumn(), "data.columns.id");
    if (preset == Preset.NONE) {
      df = rename(df, location, "prompt", opts.promptColumn(), "data.columns.prompt");
      if (!opts.negativeColumn().isEmpty()) {
        if (columns.alias() != null && !opts.negativeColumn().equals(columns.alias())) {
          df = df.drop(columns.alias());
        }
        df = rename(df, location, columns.second(), opts.negativeColumn(), "data.columns.negative");
      }
      return columns.normalise(df, location);
    }
    preset.check(df.schema(), location);
    Dataset<Row> out = convert(df, location, preset);
    // PKU-SafeRLHF's prompts are single strings: its rows need no conversation column
    return preset == Preset.PKU_SAFERLHF ? out.drop(Conversations.COLUMN) : out;
  }

  /**
   * {@code df} with its column {@code from} named {@code to} (a column already named {@code to} is
   * dropped); the default name ({@code from} equal to {@code to}) needs no column.
   */
  private static Dataset<Row> rename(
      Dataset<Row> df, String location, String to, String from, String key) {
    if (from.equals(to)) {
      return df;
    }
    if (!Arrays.asList(df.columns()).contains(from)) {
      throw new InputException(
          "input "
              + location
              + " has no '"
              + from
              + "' column ("
              + key
              + " = "
              + from
              + "); found schema: "
              + df.schema().simpleString());
    }
    return df.drop(to).withColumnRenamed(from, to);
  }

  private static Dataset<Row> convert(Dataset<Row> df, String location, Preset preset) {
    StructType s = df.schema();
    List<String> names = Arrays.asList(s.fieldNames());
    boolean hasId = names.contains("id");
    if (hasId) {
      InputColumns.requireIdType(s, location);
    }
    List<String> used = preset.columns(s);
    // Spark decodes a string column's bytes with U+FFFD replacement when Java reads it, so the
    // check runs on the bytes first (as InputData's does for the plain layout)
    UserDefinedFunction utf8 =
        udf((UDF1<byte[], Boolean>) InputData::validUtf8, DataTypes.BooleanType);
    Column valid = lit(true);
    for (String c : used) {
      if (s.apply(c).dataType().equals(DataTypes.StringType)) {
        valid = valid.and(utf8.apply(col(c).cast("binary")));
      }
    }
    List<Column> selected = new ArrayList<>();
    selected.add(hasId ? col("id").cast("string").as("id") : lit(null).cast("string").as("id"));
    used.forEach(c -> selected.add(col(c)));
    selected.add(
        (names.contains("_corrupt_record") ? col("_corrupt_record") : lit(null).cast("string"))
            .as("_corrupt"));
    selected.add(valid.as("_utf8"));
    JavaRDD<Row> rows =
        df.select(selected.toArray(Column[]::new))
            .javaRDD()
            .zipWithIndex()
            .flatMap(
                t -> {
                  Row r = t._1();
                  String id = hasId ? r.getString(0) : "row-" + t._2();
                  return rowsOf(preset, r, id).iterator();
                });
    return df.sparkSession().createDataFrame(rows, OUT);
  }

  /** The {@link #OUT} rows of one input row. */
  private static List<Row> rowsOf(Preset preset, Row r, String id) {
    String corrupt = r.getAs("_corrupt");
    if (corrupt != null) {
      return List.of(RowFactory.create(id, null, null, null, corrupt, null));
    }
    Object utf8 = r.getAs("_utf8");
    if (Boolean.FALSE.equals(utf8)) {
      return List.of(RowFactory.create(id, null, null, null, null, InputData.INVALID_UTF8));
    }
    List<Row> out = new ArrayList<>(2);
    for (Converted c : preset.convert(r)) {
      out.add(
          RowFactory.create(
              id == null ? null : id + c.idSuffix(),
              c.prompt(),
              c.negative(),
              Conversations.toSpark(c.conversation()),
              null,
              c.reason()));
    }
    return out;
  }
}
