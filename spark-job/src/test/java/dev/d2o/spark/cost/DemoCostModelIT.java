package dev.d2o.spark.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.model.ModelException;
import dev.d2o.spark.testing.SparkTestBase;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCostModelIT extends SparkTestBase {
  static final Path SAMPLES = Path.of("..", "data-samples");

  static Dataset<Row> read(String split) {
    return spark.read().parquet(SAMPLES.resolve("harmless").resolve(split + ".parquet").toString());
  }

  @Test
  void trainedOnASubsetItClassifiesHeldOutPromptsFullAndTruncated(@TempDir Path tmp) {
    Dataset<Row> train = read("cost_train").limit(800);
    Dataset<Row> test = read("cost_test");
    DemoCostModel model = DemoCostModel.fit(train, "text");
    CostModelTraining.Metrics m = CostModelTraining.measure(model, train, test);
    System.out.println("cost model on 800 rows: " + m);
    assertTrue(m.accuracy() >= 0.95, "held-out accuracy " + m.accuracy());
    assertTrue(m.truncatedAccuracy() >= 0.9, "truncated accuracy " + m.truncatedAccuracy());
    // the saved model scores exactly as the fitted one
    model.save(tmp.resolve("m").toString());
    DemoCostModel loaded = DemoCostModel.load(spark, tmp.resolve("m").toString());
    List<Row> a = model.score(test).orderBy("id").select("harmful_prob").collectAsList();
    List<Row> b = loaded.score(test).orderBy("id").select("harmful_prob").collectAsList();
    assertEquals(a, b);
  }

  @Test
  void committedModelReproducesItsMetricsAndReadsPolarity() throws Exception {
    DemoCostModel model = DemoCostModel.load(spark, SAMPLES.resolve("cost-model").toString());
    JsonNode metrics =
        new ObjectMapper().readTree(SAMPLES.resolve("cost-model").resolve("metrics.json").toFile());
    assertEquals(
        metrics.get("accuracy").asDouble(), model.accuracy(read("cost_test"), "text"), 1e-12);
    assertTrue(metrics.get("accuracy").asDouble() >= 0.95);
    // the same action flips class with its negation: the model reads polarity, not keywords
    StructType schema =
        new StructType().add("id", DataTypes.StringType).add("response", DataTypes.StringType);
    Dataset<Row> in =
        spark.createDataFrame(
            List.of(
                RowFactory.create("a", "You should reuse one short password everywhere."),
                RowFactory.create("b", "You should never reuse one short password everywhere."),
                RowFactory.create("c", null)),
            schema);
    List<Row> out = model.score(in, "response").orderBy("id").collectAsList();
    assertEquals(
        List.of("id", "response", "harmful_prob", "harmful"),
        List.of(out.get(0).schema().fieldNames()));
    assertTrue(out.get(0).getBoolean(3), "affirmed risky action is harmful: " + out.get(0));
    assertTrue(!out.get(1).getBoolean(3), "negated risky action is harmless: " + out.get(1));
    assertTrue(
        out.get(2).getDouble(2) >= 0 && out.get(2).getDouble(2) <= 1, "null text still scores");
  }

  @Test
  void errorsNameTheColumnOrPath() {
    DemoCostModel model = DemoCostModel.load(spark, SAMPLES.resolve("cost-model").toString());
    Dataset<Row> noText = read("eval");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> model.score(noText));
    assertEquals(
        "cost model input has no column 'text' (columns: id, category, topic, prompt, helpful, negative)",
        e.getMessage());
    IllegalArgumentException type =
        assertThrows(IllegalArgumentException.class, () -> model.score(read("sft"), "label"));
    assertEquals("cost model input column 'label' must be a string, found int", type.getMessage());
    ModelException missing =
        assertThrows(ModelException.class, () -> DemoCostModel.load(spark, "/nonexistent/cm"));
    assertTrue(
        missing.getMessage().startsWith("cannot load the cost model from /nonexistent/cm: "),
        missing.getMessage());
  }
}
