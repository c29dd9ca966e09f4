package dev.d2o.spark.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.RunDir;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.Prompts;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tracking wiring end to end, against the local HTTP stand-in for an MLflow server that checks
 * each REST call (no real MLflow server can be installed here): a short run that crashes is marked
 * FAILED, and {@code --resume} continues the same MLflow run to FINISHED, with parameters, every
 * step's metrics (TRL's names too), the evaluation's numbers and the output paths.
 */
class TrackingIT extends SparkTestBase {
  @TempDir Path tmp;
  FakeMlflowServer server;

  @BeforeEach
  void start() throws Exception {
    server = new FakeMlflowServer();
  }

  @AfterEach
  void stop() {
    server.close();
    System.clearProperty("d2o.fault.driver");
  }

  private JobConfig config(Path run) throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.llama(), 4, tmp.resolve("model"));
    Path data = Prompts.writeJsonl(tmp.resolve("in.jsonl"), 8);
    return JobConfig.load(
        null,
        List.of(
            "model.path=" + model,
            "data.input=" + data,
            "data.eval=" + data,
            "run.dir=" + run,
            "anchors.numSamples=2",
            "anchors.maxNewTokens=4",
            "train.batchSize=4",
            "train.maxSteps=4",
            "train.checkpointEvery=2",
            "eval.maxNewTokens=4",
            "tracking.mlflow.uri=" + server.uri(),
            "tracking.mlflow.experiment=d2o-it"));
  }

  /** The steps of the "loss" metric in the log-batch calls from {@code from} on. */
  private TreeSet<Long> lossSteps(int from) {
    TreeSet<Long> steps = new TreeSet<>();
    List<FakeMlflowServer.Call> batches = server.calls("runs/log-batch");
    for (FakeMlflowServer.Call c : batches.subList(from, batches.size())) {
      for (JsonNode m : c.body().get("metrics")) {
        if (m.get("key").asText().equals("loss")) {
          steps.add(m.get("step").asLong());
        }
      }
    }
    return steps;
  }

  private List<String> statuses() {
    List<String> out = new ArrayList<>();
    server.calls("runs/update").forEach(c -> out.add(c.body().get("status").asText()));
    return out;
  }

  @Test
  void aCrashedRunIsFailedAndItsResumeContinuesTheSameMlflowRun() throws Exception {
    Path run = tmp.resolve("run");
    JobConfig cfg = config(run);
    System.setProperty("d2o.fault.driver", "3"); // a driver crash before step 4 of 4
    assertThrows(
        IllegalStateException.class,
        () -> Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false));
    System.clearProperty("d2o.fault.driver");

    assertEquals(1, server.calls("experiments/create").size());
    assertEquals("d2o-it", server.calls("experiments/create").get(0).body().get("name").asText());
    JsonNode create = server.calls("runs/create").get(0).body();
    assertEquals("run", create.get("run_name").asText(), "the run directory's name");
    JsonNode params = server.calls("runs/log-batch").get(0).body().get("params");
    List<String> keys = new ArrayList<>();
    params.forEach(p -> keys.add(p.get("key").asText() + "=" + p.get("value").asText()));
    assertTrue(keys.contains("train.maxSteps=4"), keys.toString());
    assertTrue(keys.contains("tracking.mlflow.experiment=d2o-it"), keys.toString());
    assertEquals(steps(0, 1, 2), lossSteps(0));
    assertEquals(List.of("FAILED"), statuses());
    String stored = Files.readString(run.resolve(RunTracking.FILE));
    assertTrue(stored.contains("\"run_id\" : \"run1\""), stored);
    int before = server.calls("runs/log-batch").size();

    var summary = Pipeline.run(spark, cfg, Pipeline.Stage.ALL, true, false);
    assertEquals("run1", summary.get("mlflow_run_id").asText());
    assertEquals(1, server.calls("runs/create").size(), "no second MLflow run");
    assertEquals("run_id=run1", server.calls("runs/get").get(0).query());
    assertEquals(List.of("FAILED", "RUNNING", "FINISHED"), statuses());
    assertEquals(steps(2, 3), lossSteps(before), "resumed at the checkpoint of step 2");
    List<String> stepKeys = new ArrayList<>();
    List<String> evalKeys = new ArrayList<>();
    for (FakeMlflowServer.Call c : server.calls("runs/log-batch")) {
      for (JsonNode m : c.body().get("metrics")) {
        (m.get("key").asText().startsWith("eval/") ? evalKeys : stepKeys)
            .add(m.get("key").asText());
      }
    }
    for (String k : List.of("rewards/chosen", "rewards/rejected", "logps/chosen", "epoch")) {
      assertTrue(stepKeys.contains(k), k + " in " + stepKeys);
    }
    assertTrue(evalKeys.contains("eval/policy/kl") && evalKeys.contains("eval/reference/kl"));
    assertFalse(evalKeys.contains("eval/policy/harmful_rate"), "not measured: no cost model");
    List<String> tags = new ArrayList<>();
    server.calls("runs/set-tag").forEach(c -> tags.add(c.body().get("key").asText()));
    assertTrue(tags.containsAll(List.of("d2o.final_model", "d2o.eval_report")), tags.toString());
    String finalModel =
        server.calls("runs/set-tag").stream()
            .filter(c -> c.body().get("key").asText().equals("d2o.final_model"))
            .reduce((a, b) -> b)
            .get()
            .body()
            .get("value")
            .asText();
    assertEquals(summary.get("final_model").asText(), finalModel);
  }

  @Test
  void theTokenComesFromTheEnvironmentAndIsNeverSentAsAValue() throws Exception {
    Path run = tmp.resolve("run-token");
    JobConfig cfg = config(run);
    try (RunDir dir = RunDir.open(run.toString(), cfg, false, false, new Configuration())) {
      Tracker t =
          RunTracking.open(
              cfg, dir, false, name -> name.equals(RunTracking.TOKEN_ENV) ? "s3cr3t" : null);
      t.finish(RunStatus.FINISHED);
    }
    assertFalse(server.calls.isEmpty());
    for (FakeMlflowServer.Call c : server.calls) {
      assertEquals("Bearer s3cr3t", c.authorization(), c.path());
      assertFalse(String.valueOf(c.body()).contains("s3cr3t"), c.path());
    }
    JobConfig off = JobConfig.load(null, List.of("run.dir=" + tmp.resolve("run-off")));
    try (RunDir dir = RunDir.open(off.get(Keys.RUN_DIR), off, false, false, new Configuration())) {
      assertFalse(RunTracking.open(off, dir, false).runId().isPresent(), "no URI: no tracking");
    }
  }

  private static TreeSet<Long> steps(long... v) {
    TreeSet<Long> s = new TreeSet<>();
    for (long x : v) {
      s.add(x);
    }
    return s;
  }
}
