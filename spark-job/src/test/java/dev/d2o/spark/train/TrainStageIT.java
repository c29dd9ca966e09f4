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
import dev.d2o.spark.testing.Prompts;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import dev.d2o.train.LocalTrainer;
import dev.d2o.train.StepResult;
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
        base.with(Keys.RUN_DIR, tmp.resolve("dist").toString()).with(Keys.TRAIN_MAX_STEPS, 20);
    Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false);
    List<Double> distLoss = new ArrayList<>();
    for (String l : Files.readAllLines(tmp.resolve("dist/metrics.jsonl"))) {
      distLoss.add(JSON.readTree(l).get("loss").asDouble());
    }
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
      for (int i = 0; i < 20; i++) {
        assertEquals(steps.get(i).metric("loss"), distLoss.get(i), 1e-4, "loss at step " + i);
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
      assertTrue(maxDiff <= 1e-4, "final weights differ by " + maxDiff);
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
    System.setProperty("d2o.fault.driver", "5");
    try {
      assertThrows(
          IllegalStateException.class,
          () -> Pipeline.run(spark, crashed, Pipeline.Stage.ALL, false, false));
    } finally {
      System.clearProperty("d2o.fault.driver");
    }
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
