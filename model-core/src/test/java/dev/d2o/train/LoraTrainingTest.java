package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.PeftAdapter;
import dev.d2o.model.Pretrained;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training with LoRA adapters: only the adapters move, the loss falls, adapter checkpoints resume
 * exactly.
 */
class LoraTrainingTest {
  private static final LoraConfig LORA = LoraConfig.of(4, 8, 0, "c_attn,c_proj,c_fc");
  private static NDManager manager;
  @TempDir Path tmp;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static CausalLM adapted(CausalLM base) {
    return base.withAdapters(LoraAdapters.init(base.config(), LORA, 7, manager));
  }

  @Test
  void onlyTheAdaptersChangeAndTheLossFalls() {
    try (CausalLM base = Tiny.gpt2(manager, 30);
        CausalLM policy = adapted(base)) {
      TrainConfig config = Tiny.config("learningRate", 1e-2, "beta", 1.0, "alpha", 1.0);
      // the reference log-probs come from the same base with the adapters off
      List<TrainExample> rows = Tiny.withReference(policy.base(), config, Tiny.rows(4, 31));
      float[][] baseBefore = Tiny.weights(base);
      float[][] adaptersBefore = Tiny.copy(weights(policy));
      LocalTrainer trainer = new LocalTrainer(policy, config);
      assertEquals(List.copyOf(policy.trainableParameters().keySet()), trainer.state().names());
      List<Double> losses = new ArrayList<>();
      for (int s = 0; s < 15; s++) {
        losses.add(trainer.step(rows).metric("loss"));
      }
      assertEquals(
          Math.log(2), losses.get(0), 1e-6); // B = 0: the policy is the reference at step 0
      assertTrue(losses.get(14) < losses.get(0) - 0.1, "loss falls: " + losses);
      float[][] baseAfter = Tiny.weights(base);
      for (int p = 0; p < baseBefore.length; p++) {
        assertArrayEquals(baseBefore[p], baseAfter[p], "base weights are bit-identical");
      }
      float[][] adaptersAfter = weights(policy);
      List<String> names = trainer.state().names();
      for (int p = 0; p < names.size(); p++) {
        double d =
            Tiny.maxAbsDiff(new float[][] {adaptersBefore[p]}, new float[][] {adaptersAfter[p]});
        assertTrue(d > 0, "adapter " + names.get(p) + " has not changed");
      }
      assertEquals(Tiny.weights(base).length, base.parameters().size());
    }
  }

  @Test
  void anAdapterCheckpointResumesTheSameTrajectory() throws Exception {
    Path baseDir = tmp.resolve("base");
    try (CausalLM base = Tiny.gpt2(manager, 32)) {
      Pretrained.save(base, baseDir, null);
    }
    TrainConfig config = Tiny.config("learningRate", 1e-2, "batchSize", 2, "chunkSize", 1);
    List<TrainExample> rows;
    float[][] straight;
    try (Pretrained base = Pretrained.load(baseDir, manager);
        CausalLM policy = adapted(base.model())) {
      rows = Tiny.withReference(base.model(), config, Tiny.rows(6, 33));
      LocalTrainer trainer = new LocalTrainer(policy, config);
      trainer.train(rows, 3, new Checkpoints(tmp.resolve("ckpt"), 2));
      trainer.train(rows, 2, null);
      straight = Tiny.copy(trainer.state().weights());
    }
    Path ckpt = tmp.resolve("ckpt/checkpoint-00000003");
    assertTrue(Files.isRegularFile(ckpt.resolve(PeftAdapter.CONFIG)));
    assertTrue(Files.isRegularFile(ckpt.resolve(PeftAdapter.WEIGHTS)));
    assertTrue(
        !Files.exists(ckpt.resolve("model.safetensors")), "no full model in an adapter checkpoint");
    LocalTrainer resumed = LocalTrainer.resume(ckpt, baseDir, config, false, manager);
    assertEquals(3, resumed.state().step());
    // the driver's restore (no model kept) reads the base's config.json and never its weights
    Path configOnly = Files.createDirectories(tmp.resolve("base-config-only"));
    Files.copy(baseDir.resolve("config.json"), configOnly.resolve("config.json"));
    CheckpointReader.RestoredState light =
        CheckpointReader.loadState(ckpt, config, false, configOnly);
    assertEquals(3, light.state().step());
    assertEquals(resumed.state().names(), light.state().names());
    assertEquals(0.0, Tiny.maxAbsDiff(resumed.state().weights(), light.state().weights()));
    assertEquals(
        0.0,
        Tiny.maxAbsDiff(
            resumed.state().optimizer().expAvgSq(), light.state().optimizer().expAvgSq()));
    assertEquals(resumed.policy().adapters().config(), light.lora());
    resumed.train(rows, 2, null);
    assertEquals(0.0, Tiny.maxAbsDiff(straight, resumed.state().weights()));
  }

  private static float[][] weights(CausalLM model) {
    return model.trainableParameters().values().stream()
        .map(a -> a.toFloatArray())
        .toArray(float[][]::new);
  }
}
