package dev.d2o.spark.ml;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Spark ML API round trip: fit, save, load, transform. */
class D2OEstimatorIT extends SparkTestBase {
  @TempDir Path tmp;

  @Test
  void fitSaveLoadTransform() throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.gpt2(), 4, tmp.resolve("model"));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 6; i++) {
      sb.append("{\"prompt\": \"Say something kind ")
          .append(i)
          .append("\", \"rejected\": \"Something mean ")
          .append(i)
          .append("\"}\n");
    }
    Files.writeString(tmp.resolve("in.jsonl"), sb.toString());
    Dataset<Row> data = spark.read().json(tmp.resolve("in.jsonl").toString());

    D2O estimator = new D2O();
    estimator
        .set(estimator.modelPath(), model.toString())
        .set(estimator.runDir(), tmp.resolve("run").toString())
        .set(estimator.numAnchors(), 2)
        .set(estimator.maxSteps(), 2)
        .set(estimator.batchSize(), 3)
        .set(estimator.beta(), 0.2)
        .set(estimator.extraConf(), new String[] {"anchors.maxNewTokens=5"});
    estimator.write().overwrite().save(tmp.resolve("estimator").toString());
    D2O loadedEstimator = D2O.load(tmp.resolve("estimator").toString());
    assertEquals(0.2, loadedEstimator.getOrDefault(loadedEstimator.beta()));
    assertEquals(estimator.uid(), loadedEstimator.uid());

    D2OModel fitted = estimator.fit(data);
    assertTrue(Files.isRegularFile(tmp.resolve("run/final/model.safetensors")));
    fitted.set(fitted.maxNewTokens(), 6);
    fitted.write().overwrite().save(tmp.resolve("saved").toString());
    assertTrue(
        Files.isRegularFile(tmp.resolve("saved/model/model.safetensors")),
        "model inside, HF layout");
    D2OModel loaded = D2OModel.load(tmp.resolve("saved").toString());
    assertEquals(6, loaded.getOrDefault(loaded.maxNewTokens()));

    List<Row> a = fitted.transform(data).orderBy("prompt").collectAsList();
    List<Row> b = loaded.transform(data).orderBy("prompt").collectAsList();
    assertEquals(6, a.size());
    int col = a.get(0).fieldIndex("response");
    for (int i = 0; i < a.size(); i++) {
      assertEquals(
          a.get(i).getString(col), b.get(i).getString(col), "greedy responses of the saved model");
    }
  }

  @Test
  void fitWithoutANegativeColumnNamesTheSchema() {
    Dataset<Row> bad = spark.sql("select 'p' as prompt, 'x' as answer");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new D2O().fit(bad));
    assertEquals(
        "D2O.fit needs a 'prompt' and a 'negative' (or 'rejected') column; found"
            + " struct<prompt:string,answer:string>",
        e.getMessage());
  }
}
