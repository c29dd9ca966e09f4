package dev.d2o.spark.ml;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.cli.D2oCli;
import dev.d2o.error.InputException;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Spark ML API round trip (fit, save, load, transform), and fit's refusal of an existing run
 * directory.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class D2OEstimatorIT extends SparkTestBase {
  @TempDir Path tmp;

  @Test
  @Order(1)
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
  @Order(2)
  void fitWithoutANegativeColumnNamesTheSchema() {
    Dataset<Row> bad = spark.sql("select 'p' as prompt, 'x' as answer");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> new D2O().fit(bad));
    assertEquals(
        "D2O.fit needs a 'prompt' and a 'negative' (or 'rejected') column; found"
            + " struct<prompt:string,answer:string>",
        e.getMessage());
  }

  @Test
  @Order(3) // last: the command line it compares with stops the shared SparkSession when it ends
  void fitRefusesAnExistingRunUnlessOverwriteOrResumeSaySoWithTheCommandLinesMessage()
      throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.gpt2(), 4, tmp.resolve("model"));
    Files.writeString(
        tmp.resolve("in.jsonl"),
        """
        {"prompt": "Say something kind 1", "negative": "Something mean 1"}
        {"prompt": "Say something kind 2", "negative": "Something mean 2"}
        {"prompt": "Say something kind 3", "negative": "Something mean 3"}
        {"prompt": "Say something kind 4", "negative": "Something mean 4"}
        """);
    Dataset<Row> data = spark.read().json(tmp.resolve("in.jsonl").toString());
    Path run = tmp.resolve("run");
    D2O estimator = new D2O();
    estimator
        .set(estimator.modelPath(), model.toString())
        .set(estimator.runDir(), run.toString())
        .set(estimator.numAnchors(), 2)
        .set(estimator.maxSteps(), 2)
        .set(estimator.batchSize(), 2)
        .set(estimator.extraConf(), new String[] {"anchors.maxNewTokens=3"});
    estimator.fit(data);
    Path weights = run.resolve("final/model.safetensors");
    byte[] first = Files.readAllBytes(weights);

    // by default an existing run is refused, and nothing of it is deleted
    InputException refused = assertThrows(InputException.class, () -> estimator.fit(data));
    String expected =
        "run directory "
            + run
            + " already holds a run; pass --resume to continue it, --overwrite to replace it, or"
            + " choose another run.dir";
    assertEquals(expected, refused.getMessage());
    assertArrayEquals(first, Files.readAllBytes(weights), "the earlier run is untouched");

    // resume under another training configuration: refused, naming the key
    D2O other = estimator.copy(new ParamMap());
    other.set(other.beta(), 0.3).set(other.resume(), true);
    assertTrue(
        assertThrows(InputException.class, () -> other.fit(data))
            .getMessage()
            .contains("with a different training configuration (train.beta (0.1 -> 0.3))"));

    // resume (same configuration) is accepted and keeps the run; overwrite replaces it
    Path marker = Files.writeString(run.resolve("marker.txt"), "of the earlier run");
    estimator.set(estimator.resume(), true);
    estimator.fit(data);
    assertArrayEquals(first, Files.readAllBytes(weights), "the resumed run's model");
    assertTrue(Files.exists(marker), "resume keeps the run directory");
    estimator.set(estimator.resume(), false).set(estimator.overwrite(), true);
    estimator.fit(data);
    assertTrue(Files.isRegularFile(weights));
    assertTrue(!Files.exists(marker), "overwrite replaced the run directory");

    // the command line, on the same directory with another training configuration, says what the
    // Estimator says (with the same configuration it continues the run: a retry, CommandRetryIT)
    String differs = assertThrows(InputException.class, () -> other.fit(data)).getMessage();
    Path conf = tmp.resolve("other.conf");
    Files.writeString(conf, other.jobConfig().render());
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream stderr = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = D2oCli.run("run", "--conf", conf.toString());
    } finally {
      System.setErr(stderr);
    }
    assertEquals(1, rc);
    assertEquals("d2o run: error: " + differs, err.toString(StandardCharsets.UTF_8).trim());
  }
}
