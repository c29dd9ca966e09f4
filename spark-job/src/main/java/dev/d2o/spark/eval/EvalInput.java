package dev.d2o.spark.eval;

import static org.apache.spark.sql.functions.col;

import dev.d2o.cli.InputException;
import dev.d2o.spark.data.TableFormats;
import dev.d2o.spark.io.HadoopFiles;
import java.util.Arrays;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * The optional {@code helpful} column of held-out data, which {@link dev.d2o.spark.data.InputData}
 * does not keep: read again from the same files and joined to the valid rows by id ("row-N" ids,
 * given by position when the input has no id column, are rebuilt the same way).
 */
public final class EvalInput {
  private EvalInput() {}

  /**
   * {@code valid} (id, prompt, negative) with a string column {@code helpful} when {@code location}
   * has one.
   */
  public static Dataset<Row> withHelpful(
      SparkSession spark, Dataset<Row> valid, String location, String format) {
    org.apache.hadoop.fs.Path path = HadoopFiles.qualify(location);
    // the same reader as InputData.load (a Delta table through Delta's reader, never as Parquet)
    Dataset<Row> raw =
        TableFormats.read(spark, path, TableFormats.resolve(spark, path, location, format));
    String helpful = dev.d2o.spark.stages.EvaluateStage.HELPFUL_COLUMN;
    if (!Arrays.asList(raw.columns()).contains(helpful)) {
      return valid;
    }
    if (!raw.schema().apply(helpful).dataType().equals(DataTypes.StringType)) {
      throw new InputException(
          "input "
              + location
              + ": column '"
              + helpful
              + "' has type "
              + raw.schema().apply(helpful).dataType().simpleString()
              + "; expected string");
    }
    Dataset<Row> byId;
    if (Arrays.asList(raw.columns()).contains("id")) {
      byId = raw.select(col("id").cast("string").as("_hid"), col(helpful));
    } else {
      JavaRDD<Row> indexed =
          raw.select(col(helpful))
              .javaRDD()
              .zipWithIndex()
              .map(
                  (Tuple2<Row, Long> t) -> RowFactory.create("row-" + t._2(), t._1().getString(0)));
      byId =
          spark.createDataFrame(
              indexed,
              new StructType()
                  .add("_hid", DataTypes.StringType)
                  .add(helpful, DataTypes.StringType));
    }
    byId =
        byId.dropDuplicates(
            "_hid"); // ids of valid rows are unique; a rejected duplicate must not double a row
    return valid.join(byId, valid.col("id").equalTo(byId.col("_hid")), "left").drop("_hid");
  }
}
