package dev.d2o.spark.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.d2o.error.InputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The text columns of an input besides {@code prompt} and {@code id}, checked before any work and
 * named as every stage expects them.
 *
 * @param second the second required text column (named so in the valid rows)
 * @param alias another accepted name of {@code second}, or null
 * @param optional string columns kept in the valid rows when the input has them
 */
public record InputColumns(String second, String alias, List<String> optional) {
  /** Optional column of held-out data: a helpful response (the helpfulness proxy). */
  public static final String HELPFUL = "helpful";

  /** Training prompts: {@code negative} (or {@code rejected}). */
  public static final InputColumns NEGATIVES = new InputColumns("negative", "rejected", List.of());

  /** Held-out prompts: as training prompts, with an optional {@value #HELPFUL} answer. */
  public static final InputColumns HELD_OUT =
      new InputColumns("negative", "rejected", List.of(HELPFUL));

  /** The SFT corpus: {@code response}. */
  public static final InputColumns SFT = new InputColumns("response", null, List.of());

  /**
   * Checks columns and types, resolves the alias, and gives every row a stable string id; the
   * result has {@code id, prompt, negative, _corrupt} and the optional columns the input has.
   */
  Dataset<Row> normalise(Dataset<Row> raw, String location) {
    StructType s = raw.schema();
    List<String> names = Arrays.asList(s.fieldNames());
    String negative =
        names.contains(second) ? second : alias != null && names.contains(alias) ? alias : null;
    if (!names.contains("prompt") || negative == null) {
      String missing =
          !names.contains("prompt")
              ? "'prompt'"
              : "'" + second + "'" + (alias == null ? "" : " (or its alias '" + alias + "')");
      throw new InputException(
          "input "
              + location
              + " has no "
              + missing
              + " column; found schema: "
              + s.simpleString());
    }
    requireString(s, "prompt", location);
    requireString(s, negative, location);
    boolean hasId = names.contains("id");
    if (hasId) {
      requireIdType(s, location);
    }
    Column corrupt =
        names.contains("_corrupt_record") ? col("_corrupt_record") : lit(null).cast("string");
    List<Column> selected =
        new ArrayList<>(
            List.of(
                hasId ? col("id").cast("string").as("id") : lit(null).cast("string").as("id"),
                col("prompt"),
                col(negative).as("negative"),
                corrupt.as("_corrupt")));
    for (String column : optional) {
      if (names.contains(column)) {
        requireString(s, column, location);
        selected.add(col(column));
      }
    }
    Dataset<Row> df = raw.select(selected.toArray(Column[]::new));
    if (hasId) {
      return df;
    }
    // No id column: the row's position in the input is its id ("row-<n>"), stable for the same
    // files.
    JavaRDD<Row> withIndex =
        df.javaRDD().zipWithIndex().map((Tuple2<Row, Long> t) -> withId(t._1(), "row-" + t._2()));
    return df.sparkSession().createDataFrame(withIndex, df.schema());
  }

  /** Checks that the column {@code id} of {@code s} is a string or an integer. */
  static void requireIdType(StructType s, String location) {
    DataType t = s.apply("id").dataType();
    if (!(t.equals(DataTypes.StringType)
        || t.equals(DataTypes.LongType)
        || t.equals(DataTypes.IntegerType))) {
      throw new InputException(
          "input "
              + location
              + ": column 'id' has type "
              + t.simpleString()
              + "; allowed: string, int or bigint");
    }
  }

  /** {@code row} with {@code id} in its first field. */
  private static Row withId(Row row, String id) {
    Object[] values = new Object[row.length()];
    values[0] = id;
    for (int i = 1; i < values.length; i++) {
      values[i] = row.get(i);
    }
    return RowFactory.create(values);
  }

  private static void requireString(StructType s, String name, String location) {
    DataType t = s.apply(name).dataType();
    if (!t.equals(DataTypes.StringType)) {
      throw new InputException(
          "input "
              + location
              + ": column '"
              + name
              + "' has type "
              + t.simpleString()
              + "; expected string");
    }
  }
}
