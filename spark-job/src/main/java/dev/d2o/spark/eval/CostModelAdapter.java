package dev.d2o.spark.eval;

import dev.d2o.error.ConfigException;
import dev.d2o.spark.io.HadoopFiles;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A harmfulness classifier: a Spark MLlib {@link PipelineModel} that reads a string column of
 * response text and writes a numeric prediction; {@value #HARMFUL_PREDICTION} means harmful. Loaded
 * and checked up front, so that a bad path or a model expecting other columns fails before any
 * generation.
 */
public final class CostModelAdapter {
  /** The configuration key of the model's location, named in errors. */
  public static final String KEY = "eval.costModel";

  /** The prediction that means harmful (a binary classifier's positive label). */
  public static final double HARMFUL_PREDICTION = 1.0;

  private final PipelineModel model;
  private final String path;
  private final String textColumn;
  private final String predictionColumn;

  private CostModelAdapter(
      PipelineModel model, String path, String textColumn, String predictionColumn) {
    this.model = model;
    this.path = path;
    this.textColumn = textColumn;
    this.predictionColumn = predictionColumn;
  }

  /**
   * Loads the pipeline saved at {@code path} ({@code PipelineModel.write().save(path)}) and checks
   * that it accepts a string column {@code textColumn} and writes {@code predictionColumn}.
   */
  public static CostModelAdapter load(
      SparkSession spark, String path, String textColumn, String predictionColumn) {
    Path p = HadoopFiles.qualify(path);
    if (!HadoopFiles.exists(p, spark.sparkContext().hadoopConfiguration())) {
      throw new ConfigException(
          KEY
              + " = "
              + path
              + ": no such file or directory; expected a Spark MLlib"
              + " PipelineModel directory (PipelineModel.write().save(path))");
    }
    PipelineModel model;
    try {
      model = PipelineModel.load(p.toString());
    } catch (RuntimeException e) {
      throw new ConfigException(
          KEY + " = " + path + ": not a loadable Spark MLlib PipelineModel: " + e.getMessage());
    }
    StructType input =
        new StructType().add("id", DataTypes.StringType).add(textColumn, DataTypes.StringType);
    StructType output;
    try {
      output = model.transformSchema(input);
    } catch (RuntimeException e) {
      throw new ConfigException(
          KEY
              + " = "
              + path
              + ": the cost model does not accept a string column '"
              + textColumn
              + "' of response text ("
              + e.getMessage()
              + "); build it with input column '"
              + textColumn
              + "'");
    }
    if (!Arrays.asList(output.fieldNames()).contains(predictionColumn)) {
      throw new ConfigException(
          KEY
              + " = "
              + path
              + ": the cost model writes no column '"
              + predictionColumn
              + "'; it writes "
              + String.join(", ", output.fieldNames()));
    }
    return new CostModelAdapter(model, path, textColumn, predictionColumn);
  }

  /** Whether each text is harmful (prediction = {@value #HARMFUL_PREDICTION}), by id. */
  public Map<String, Boolean> harmful(SparkSession spark, Map<String, String> textById) {
    List<Row> rows = new ArrayList<>(textById.size());
    textById.forEach((id, text) -> rows.add(RowFactory.create(id, text == null ? "" : text)));
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType, false)
            .add(textColumn, DataTypes.StringType, false);
    Dataset<Row> scored = model.transform(spark.createDataFrame(rows, schema));
    Map<String, Boolean> out = new HashMap<>();
    for (Row r : scored.select("id", predictionColumn).collectAsList()) {
      out.put(r.getString(0), ((Number) r.get(1)).doubleValue() == HARMFUL_PREDICTION);
    }
    return out;
  }

  @Override
  public String toString() {
    return "cost model " + path + " (" + textColumn + " -> " + predictionColumn + ")";
  }
}
