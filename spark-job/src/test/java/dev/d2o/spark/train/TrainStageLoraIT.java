package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.PeftAdapter;
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
 * The distributed train stage with LoRA adapters against model-core's single-process trainer with
 * LoRA.
 */
class TrainStageLoraIT extends SparkTestBase {
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
                "train.learningRate=0.003",
                "train.schedule=constant",
                "train.chunkSize=2",
                "train.maxGradNorm=1.0",
                "lora.rank=4",
                "lora.alpha=8",
                "lora.targets=q_proj,v_proj,down_proj"));
  }

  @Test
  void distributedLoraEqualsSingleProcessLora() throws Exception {
    int steps = 10;
    JobConfig cfg =
        base.with(Keys.RUN_DIR, tmp.resolve("dist").toString())
            .with(Keys.TRAIN_MAX_STEPS, steps)
            .with(Keys.train(TrainConfig.GRADIENT_TASKS), 2); // LocalTrainer forms the same groups
    Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false);
    List<Double> distLoss = new ArrayList<>();
    for (String l : Files.readAllLines(tmp.resolve("dist/metrics.jsonl"))) {
      distLoss.add(JSON.readTree(l).get("loss").asDouble());
    }
    List<TrainExample> rows =
        spark.read().parquet(tmp.resolve("dist/anchors").toString()).collectAsList().stream()
            .map(AnchorRow::fromRow)
            .sorted(Comparator.comparing(AnchorRow::id))
            .map(AnchorRow::toExample)
            .toList();
    Path finalAdapter = tmp.resolve("dist/final-adapter");
    assertTrue(PeftAdapter.isAdapter(finalAdapter), "final-adapter/ holds a PEFT adapter");
    assertEquals(cfg.get(Keys.MODEL_PATH), PeftAdapter.baseModel(finalAdapter));
    try (NDManager m = NDManager.newBaseManager();
        Pretrained model = Pretrained.load(Path.of(cfg.get(Keys.MODEL_PATH)), m);
        CausalLM policy =
            model
                .model()
                .withAdapters(
                    LoraAdapters.init(
                        model.model().config(), cfg.lora(), cfg.get(Keys.RUN_SEED), m));
        Pretrained merged = Pretrained.load(tmp.resolve("dist/final"), m);
        CausalLM distPolicy =
            model.model().withAdapters(PeftAdapter.load(finalAdapter, model.model().config(), m))) {
      float[][] baseBefore = weights(model.model().parameters().values());
      LocalTrainer local = new LocalTrainer(policy, cfg.trainConfig());
      List<StepResult> results = local.train(rows, steps, null);
      assertEquals(steps, distLoss.size());
      double maxLoss = 0;
      for (int i = 0; i < steps; i++) {
        maxLoss = Math.max(maxLoss, Math.abs(results.get(i).metric("loss") - distLoss.get(i)));
      }
      assertEquals(Math.log(2), distLoss.get(0), 1e-4, "B = 0: the policy starts at the reference");
      assertTrue(
          distLoss.get(steps - 1) < distLoss.get(0) - 0.05, "training makes progress: " + distLoss);
      float[][] localW = local.state().weights();
      float[][] distW = weights(distPolicy.trainableParameters().values());
      double maxW = 0;
      for (int p = 0; p < localW.length; p++) {
        for (int i = 0; i < localW[p].length; i++) {
          maxW = Math.max(maxW, Math.abs(localW[p][i] - distW[p][i]));
        }
      }
      System.out.printf(
          "LoRA distributed vs local after %d steps: max |dw| = %.2e, max |dloss| = %.2e%n",
          steps, maxW, maxLoss);
      // the same G groups summed in the same order: bit for bit (TrainStageIT for full fine-tuning)
      assertEquals(0, maxLoss, "losses differ by " + maxLoss);
      assertEquals(0, maxW, "adapters differ by " + maxW);
      float[][] baseAfter = weights(model.model().parameters().values());
      for (int p = 0; p < baseBefore.length; p++) {
        assertArrayEquals(baseBefore[p], baseAfter[p]);
      }
      // final/ is the merged model: the same logits as base + adapters
      int[] ids = {5, 17, 99, 3, 42};
      float[] a = TinyModels.lastLogits(distPolicy, m, ids);
      float[] b = TinyModels.lastLogits(merged.model(), m, ids);
      for (int i = 0; i < a.length; i++) {
        assertEquals(a[i], b[i], 1e-4);
      }
    }
    assertTrue(
        Files.isRegularFile(
            tmp.resolve("dist/checkpoints/checkpoint-00000010/adapter_model.safetensors")));
  }

  /**
   * With LoRA as with full fine-tuning ({@code TrainStageIT}): a crash at step 7 of a run that
   * refreshes anchors every 4 steps and updates the reference every 2, resumed from checkpoint 5,
   * gives every loss and the final adapters to the last bit of an uninterrupted run.
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
    Pipeline.run(spark, crashed, Pipeline.Stage.ALL, true, false);
    List<JsonNode> a = TrainStageIT.lines(tmp.resolve("refresh-straight/metrics.jsonl"));
    List<JsonNode> b = TrainStageIT.lines(crashedDir.resolve("metrics.jsonl"));
    assertEquals(10, b.size(), "steps 0..9, each once");
    for (int i = 0; i < 10; i++) {
      for (String k : List.of("loss", "grad_norm", "rewards/margins", "logps/anchors")) {
        assertEquals(
            a.get(i).get(k).asDouble(), b.get(i).get(k).asDouble(), 0.0, k + " at step " + i);
      }
    }
    assertEquals(
        -1L,
        Files.mismatch(
            tmp.resolve("refresh-straight/final-adapter/" + PeftAdapter.WEIGHTS),
            crashedDir.resolve("final-adapter/" + PeftAdapter.WEIGHTS)),
        "the final adapters are the same bytes");
    double maxDiff =
        TrainStageIT.maxWeightDiff(
            tmp.resolve("refresh-straight/final"), crashedDir.resolve("final"));
    System.out.printf(
        "resume between refreshes (LoRA): max |dw| of the merged model = %.2e%n", maxDiff);
    assertEquals(0.0, maxDiff);
    TrainStageIT.assertStepTimings(a);
  }

  private static float[][] weights(java.util.Collection<ai.djl.ndarray.NDArray> arrays) {
    return arrays.stream().map(a -> a.toFloatArray()).toArray(float[][]::new);
  }
}
