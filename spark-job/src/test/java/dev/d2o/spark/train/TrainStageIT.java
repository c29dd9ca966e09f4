package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.error.InputException;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.DriverCrash;
import dev.d2o.spark.testing.Prompts;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import dev.d2o.train.LocalTrainer;
import dev.d2o.train.StepResult;
import dev.d2o.train.TrainConfig;
import dev.d2o.train.TrainExample;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distributed trainer against model-core's single-process trainer on the same global batches,
 * and resume after a simulated driver crash.
 */
class TrainStageIT extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static JobConfig base;

  @BeforeAll
  static void data() throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.llama(), 9, tmp.resolve("model"));
    Prompts.writeJsonl(tmp.resolve("in.jsonl"), 20);
    base =
        JobConfig.load(
            null,
            List.of(
                "model.path=" + model,
                "data.input=" + tmp.resolve("in.jsonl"),
                "anchors.numSamples=2",
                "anchors.maxNewTokens=6",
                "run.partitions=3",
                "run.seed=3",
                "train.batchSize=6",
                "train.learningRate=0.002",
                "train.schedule=constant",
                "train.chunkSize=2",
                "train.maxGradNorm=1.0"));
  }

  @Test
  void distributedEqualsSingleProcessOnTheSameGlobalBatches() throws Exception {
    JobConfig cfg =
        base.with(Keys.RUN_DIR, tmp.resolve("dist").toString())
            .with(Keys.TRAIN_MAX_STEPS, 20)
            .with(Keys.train(TrainConfig.GRADIENT_TASKS), 2); // 3 chunks in 2 tasks: [0], [1, 2]
    Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false);
    List<Double> distLoss = new ArrayList<>();
    long trainable = TinyModels.llama().parameterCount();
    int overlapped = 0; // steps whose two tasks computed at once, each on its own replica
    for (String l : Files.readAllLines(tmp.resolve("dist/metrics.jsonl"))) {
      JsonNode step = JSON.readTree(l);
      distLoss.add(step.get("loss").asDouble());
      overlapped += step.get("timing/task_overlap").asDouble() > 0 ? 1 : 0;
      // two results (G = 2), each a float of every trainable weight
      assertEquals(
          2.0 * 4 * trainable,
          step.get("traffic/gradient_bytes").asDouble(),
          "traffic/gradient_bytes for " + trainable + " floats");
      assertTrue(step.get("traffic/broadcast_bytes").asDouble() >= 0, l);
    }
    // local[2]: the two tasks run at once (tasks taking turns never overlap), and yet the steps
    // below equal the single-process trainer's bit for bit
    assertTrue(overlapped >= 10, "steps of 20 whose two tasks overlapped: " + overlapped);
    JsonNode summary = JSON.readTree(tmp.resolve("dist/summary.json").toFile());
    assertEquals(2, summary.get("train/gradient_tasks").asInt());
    assertTrue(summary.get("memory/executor_peak_rss_mb").asDouble() > 0, summary.toString());
    assertTrue(summary.get("memory/driver_peak_heap_mb").asDouble() > 0, summary.toString());
    assertTrue(summary.get("traffic/bytes_per_step").asDouble() > 2 * 4 * trainable);
    // the same rows, in the order the distributed stage indexes them (by id), through the local
    // trainer
    List<TrainExample> rows =
        spark.read().parquet(tmp.resolve("dist/anchors").toString()).collectAsList().stream()
            .map(AnchorRow::fromRow)
            .sorted(Comparator.comparing(AnchorRow::id))
            .map(AnchorRow::toExample)
            .toList();
    try (NDManager m = NDManager.newBaseManager();
        Pretrained policy = Pretrained.load(Path.of(cfg.get(Keys.MODEL_PATH)), m);
        Pretrained dist = Pretrained.load(tmp.resolve("dist/final"), m)) {
      LocalTrainer local = new LocalTrainer(policy.model(), cfg.trainConfig());
      List<StepResult> steps = local.train(rows, 20, null);
      assertEquals(20, distLoss.size());
      for (int i = 0; i < 20; i++) { // the same G groups, summed in the same order: bit for bit
        assertEquals(steps.get(i).metric("loss"), distLoss.get(i), "loss at step " + i);
      }
      assertTrue(distLoss.get(19) < distLoss.get(0) - 0.1, "training makes progress: " + distLoss);
      float[][] localW = local.state().weights();
      List<float[]> distW =
          dist.model().parameters().values().stream().map(a -> a.toFloatArray()).toList();
      double maxDiff = 0;
      for (int p = 0; p < localW.length; p++) {
        for (int i = 0; i < localW[p].length; i++) {
          maxDiff = Math.max(maxDiff, Math.abs(localW[p][i] - distW.get(p)[i]));
        }
      }
      System.out.printf(
          "distributed vs local after 20 steps: max |dw| = %.2e, max |dloss| = %.2e%n",
          maxDiff, maxLossDiff(steps, distLoss));
      assertEquals(0, maxDiff, "final weights differ by " + maxDiff);
    }
  }

  private static double maxLossDiff(List<StepResult> steps, List<Double> dist) {
    double d = 0;
    for (int i = 0; i < dist.size(); i++) {
      d = Math.max(d, Math.abs(steps.get(i).metric("loss") - dist.get(i)));
    }
    return d;
  }

  @Test
  void resumeAfterADriverCrashEqualsAnUninterruptedRun() throws Exception {
    JobConfig straight =
        base.with(Keys.RUN_DIR, tmp.resolve("straight").toString())
            .with(Keys.TRAIN_MAX_STEPS, 8)
            .with(Keys.TRAIN_CHECKPOINT_EVERY, 3);
    Pipeline.run(spark, straight, Pipeline.Stage.ALL, false, false);

    JobConfig crashed = straight.with(Keys.RUN_DIR, tmp.resolve("crashed").toString());
    DriverCrash.runCrashingAt(spark, crashed, 5);
    InputException refused =
        assertThrows(
            InputException.class,
            () -> Pipeline.run(spark, crashed, Pipeline.Stage.ALL, false, false));
    assertTrue(
        refused.getMessage().contains("already holds a run; pass --resume to continue it"),
        refused.getMessage());
    Pipeline.run(spark, crashed, Pipeline.Stage.ALL, true, false); // continues from checkpoint 3
    List<String> a = Files.readAllLines(tmp.resolve("straight/metrics.jsonl"));
    List<String> b = Files.readAllLines(tmp.resolve("crashed/metrics.jsonl"));
    assertEquals(8, b.size(), "steps 0..7, each once");
    for (int i = 0; i < 8; i++) {
      JsonNode x = JSON.readTree(a.get(i));
      JsonNode y = JSON.readTree(b.get(i));
      assertEquals(x.get("step").asLong(), y.get("step").asLong());
      assertEquals(x.get("loss").asDouble(), y.get("loss").asDouble(), 1e-6, "loss at step " + i);
    }
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(tmp.resolve("straight/final"), m);
        Pretrained q = Pretrained.load(tmp.resolve("crashed/final"), m)) {
      var pw = new ArrayList<>(p.model().parameters().values());
      var qw = new ArrayList<>(q.model().parameters().values());
      for (int i = 0; i < pw.size(); i++) {
        float[] x = pw.get(i).toFloatArray();
        float[] y = qw.get(i).toFloatArray();
        for (int j = 0; j < x.length; j++) {
          assertEquals(x[j], y[j], 1e-6);
        }
      }
    }
  }

  /**
   * Anchors refreshed every 4 steps and the reference updated every 2; the driver crashes at step 7
   * and the run resumes from checkpoint 5, which lies between two refreshes (4, 8) and two
   * reference updates (4, 6). The checkpoint names the rows of step 4 (refreshed anchors scored
   * under the step-4 policy), so the resumed run reads the same rows and continues the same
   * trajectory: every loss and every final weight equal to the last bit. Before, it went back to
   * the original anchors and reference log-probs until the next refresh.
   */
  @Test
  void resumeBetweenRefreshesAndReferenceUpdatesEqualsAnUninterruptedRun() throws Exception {
    JobConfig straight =
        base.with(Keys.RUN_DIR, tmp.resolve("refresh-straight").toString())
            .with(Keys.TRAIN_MAX_STEPS, 10)
            .with(Keys.TRAIN_CHECKPOINT_EVERY, 5)
            .with(Keys.ANCHORS_REFRESH_EVERY, 4)
            .with(Keys.REFERENCE_UPDATE_EVERY, 2);
    Pipeline.run(spark, straight, Pipeline.Stage.ALL, false, false);
    Path crashedDir = tmp.resolve("refresh-crashed");
    JobConfig crashed = straight.with(Keys.RUN_DIR, crashedDir.toString());
    DriverCrash.runCrashingAt(spark, crashed, 7);
    JsonNode state =
        JSON.readTree(
            crashedDir.resolve("checkpoints/checkpoint-00000005/trainer_state.json").toFile());
    assertEquals("train-rows/step-00000004", state.at("/data_position/rows").asText());
    Pipeline.run(spark, crashed, Pipeline.Stage.ALL, true, false);
    JsonNode summary = JSON.readTree(crashedDir.resolve("summary.json").toFile());
    String start = summary.get("train_start").asText();
    assertTrue(
        start.startsWith("resumed from ")
            && start.endsWith("refresh-crashed/checkpoints/checkpoint-00000005 at step 5"),
        start);
    List<JsonNode> a = lines(tmp.resolve("refresh-straight/metrics.jsonl"));
    List<JsonNode> b = lines(crashedDir.resolve("metrics.jsonl"));
    assertEquals(10, b.size(), "steps 0..9, each once");
    for (int i = 0; i < 10; i++) {
      assertEquals(i, b.get(i).get("step").asInt());
      for (String k : List.of("loss", "grad_norm", "rewards/margins", "logps/anchors")) {
        assertEquals(
            a.get(i).get(k).asDouble(), b.get(i).get(k).asDouble(), 0.0, k + " at step " + i);
      }
    }
    double maxDiff =
        maxWeightDiff(tmp.resolve("refresh-straight/final"), crashedDir.resolve("final"));
    System.out.printf("resume between refreshes (full fine-tuning): max |dw| = %.2e%n", maxDiff);
    assertEquals(0.0, maxDiff, "final weights");
    // rows no kept checkpoint starts from are deleted: checkpoint 5 starts from step 4's rows
    try (var saved = Files.list(crashedDir.resolve("train-rows"))) {
      assertEquals(
          List.of("step-00000004", "step-00000006", "step-00000008"),
          saved.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertStepTimings(a);
  }

  /**
   * The timings of a run with refreshes: sampling on refresh steps, reference scoring on refresh
   * and reference-update steps, neither elsewhere; forward/backward measured on the executors.
   */
  static void assertStepTimings(List<JsonNode> steps) {
    for (JsonNode m : steps) {
      int step = m.get("step").asInt();
      boolean refresh = step > 0 && step % 4 == 0;
      boolean update = step > 0 && step % 2 == 0;
      String at = "step " + step + ": " + m;
      assertEquals(refresh, m.has("timing/generate"), at);
      assertEquals(update, m.has("timing/ref_logp"), at);
      assertEquals(update, m.has("timing/refresh"), at);
      if (update) {
        assertTrue(m.get("timing/ref_logp").asDouble() > 0, at);
        assertTrue(m.get("timing/refresh").asDouble() > 0, at);
      }
      if (refresh) {
        assertTrue(m.get("timing/generate").asDouble() > 0, at);
      }
      double fb = m.get("timing/forward_backward").asDouble();
      double aggregate = m.get("timing/aggregate").asDouble();
      assertTrue(fb > 0 && fb != aggregate, at);
      assertTrue(
          m.get("timing/sync").asDouble() >= 0 && m.get("timing/update").asDouble() >= 0, at);
    }
  }

  static List<JsonNode> lines(Path metrics) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String l : Files.readAllLines(metrics)) {
      out.add(JSON.readTree(l));
    }
    return out;
  }

  /** The largest difference between two saved models' weights. */
  static double maxWeightDiff(Path x, Path y) {
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(x, m);
        Pretrained q = Pretrained.load(y, m)) {
      var pw = new ArrayList<>(p.model().parameters().values());
      var qw = new ArrayList<>(q.model().parameters().values());
      double d = 0;
      for (int i = 0; i < pw.size(); i++) {
        float[] u = pw.get(i).toFloatArray();
        float[] v = qw.get(i).toFloatArray();
        for (int j = 0; j < u.length; j++) {
          d = Math.max(d, Math.abs(u[j] - v[j]));
        }
      }
      return d;
    }
  }

  @Test
  void fewerRowsThanOneBatchIsRefused() {
    JobConfig cfg =
        base.with(Keys.RUN_DIR, tmp.resolve("small").toString()).with(Keys.TRAIN_BATCH_SIZE, 50);
    InputException e =
        assertThrows(
            InputException.class, () -> Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false));
    assertEquals(
        "the training data has 20 valid rows, fewer than one batch (train.batchSize = 50)",
        e.getMessage());
  }

  @Test
  void referenceUpdateMakesTheStepStartAtLnTwoAndAnchorRefreshKeepsTraining() throws Exception {
    for (String refresh : List.of("0", "3")) {
      JobConfig cfg =
          JobConfig.load(null, List.of())
              .with(Keys.RUN_DIR, tmp.resolve("ref" + refresh).toString());
      cfg =
          JobConfig.load(
              null,
              overrides(
                  cfg,
                  "reference.updateEvery=3",
                  "anchors.refreshEvery=" + refresh,
                  "train.maxSteps=5",
                  "run.dir=" + tmp.resolve("ref" + refresh)));
      Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false);
      List<String> lines = Files.readAllLines(tmp.resolve("ref" + refresh + "/metrics.jsonl"));
      double before = JSON.readTree(lines.get(2)).get("loss").asDouble();
      double at = JSON.readTree(lines.get(3)).get("loss").asDouble();
      assertTrue(Math.abs(before - Math.log(2)) > 1e-3, "step 2 trains away from ln 2: " + before);
      // at step 3 the reference is the policy: every log-ratio is 0 up to float noise, so the loss
      // is ln 2
      assertEquals(Math.log(2), at, 1e-4, "refreshEvery=" + refresh);
    }
  }

  private static List<String> overrides(JobConfig ignored, String... extra) {
    List<String> out =
        new ArrayList<>(
            List.of(
                "model.path=" + base.get(Keys.MODEL_PATH),
                "data.input=" + base.get(Keys.DATA_INPUT),
                "anchors.numSamples=2",
                "anchors.maxNewTokens=6",
                "run.partitions=3",
                "run.seed=3",
                "train.batchSize=6",
                "train.learningRate=0.002",
                "train.schedule=constant",
                "train.chunkSize=2"));
    out.addAll(List.of(extra));
    return out;
  }
}
