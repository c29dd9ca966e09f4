package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.d2o.model.CausalLM;
import dev.d2o.model.Pretrained;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {
  private static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  /**
   * 6 rows, batches of 4: the run crosses an epoch boundary, so the data position must resume too.
   */
  private static List<TrainExample> data(TrainConfig config) {
    try (CausalLM reference = Tiny.gpt2(manager, 40)) {
      return Tiny.withReference(reference, config, Tiny.rows(6, 41));
    }
  }

  private static TrainConfig config() {
    return Tiny.config("schedule", "cosine", "warmupSteps", 2, "maxSteps", 6, "weightDecay", 0.1);
  }

  /**
   * 3 steps, checkpoint, resume in a fresh trainer from the files, 3 steps: the same losses and
   * final weights as 6 uninterrupted steps. Bitwise here: weights and moments are stored as the
   * fp32 values they are, the data order and the schedule are functions of the saved counters, and
   * the CPU kernels are deterministic for a fixed thread count. Measured: losses and weights equal
   * to the last bit (difference 0.0); the bound is the 1e-6 of the issue.
   */
  @Test
  void resumedRunEqualsUninterruptedRun(@TempDir Path dir) throws IOException {
    TrainConfig config = config();
    List<TrainExample> data = data(config);
    List<Double> straight = new ArrayList<>();
    float[][] straightWeights;
    try (CausalLM policy = Tiny.gpt2(manager, 42)) {
      LocalTrainer t = new LocalTrainer(policy, config);
      t.train(data, 6, null).forEach(r -> straight.add(r.metric("loss")));
      straightWeights = Tiny.weights(policy);
    }
    List<Double> resumed = new ArrayList<>();
    Checkpoints checkpoints = new Checkpoints(dir, 2);
    try (CausalLM policy = Tiny.gpt2(manager, 42)) {
      new LocalTrainer(policy, config)
          .train(data, 3, checkpoints)
          .forEach(r -> resumed.add(r.metric("loss")));
    }
    Path ckpt = checkpoints.latest().orElseThrow();
    assertEquals("checkpoint-00000003", ckpt.getFileName().toString());
    LocalTrainer t = LocalTrainer.resume(ckpt, config, false, manager);
    try (CausalLM policy = t.policy()) {
      assertEquals(3, t.state().step());
      assertEquals(12, t.state().consumedExamples());
      t.train(data, 3, null).forEach(r -> resumed.add(r.metric("loss")));
      for (int s = 0; s < 6; s++) {
        assertEquals(straight.get(s), resumed.get(s), 1e-6, "loss of step " + s);
      }
      double diff = Tiny.maxAbsDiff(straightWeights, Tiny.weights(policy));
      assertTrue(diff <= 1e-6, "final weights differ by " + diff);
    }
  }

  @Test
  void checkpointHoldsModelOptimizerAndTrainerState(@TempDir Path dir) throws IOException {
    TrainConfig config = config();
    try (CausalLM policy = Tiny.gpt2(manager, 43)) {
      Checkpoints checkpoints = new Checkpoints(dir, 3);
      new LocalTrainer(policy, config).train(data(config), 2, checkpoints);
      Path ckpt = checkpoints.latest().orElseThrow();
      try (Stream<Path> files = Files.list(ckpt)) {
        assertEquals(
            List.of(
                "config.json", "model.safetensors", "optimizer.safetensors", "trainer_state.json"),
            files.map(p -> p.getFileName().toString()).sorted().toList());
      }
      JsonNode state = Checkpoints.readState(ckpt);
      assertEquals(2, state.get("step").asInt());
      assertEquals(8, state.get("consumed_examples").asInt());
      assertEquals(1, state.at("/data_position/epoch").asInt()); // 8 of 6 rows: epoch 1, offset 2
      assertEquals(2, state.at("/data_position/offset").asInt());
      assertEquals(config.hash(), state.get("config_hash").asText());
      assertEquals("0.36.0", state.at("/versions/djl").asText());
      try (Pretrained p =
          Pretrained.load(ckpt, manager)) { // the model half is a plain Hugging Face directory
        assertEquals(0.0, Tiny.maxAbsDiff(Tiny.weights(policy), Tiny.weights(p.model())), 0.0);
      }
    }
  }

  /**
   * A failure after the model files were written (as a full disk would) leaves the previous
   * checkpoint whole.
   */
  @Test
  void failedWriteLeavesThePreviousCheckpointLoadable(@TempDir Path dir) throws IOException {
    TrainConfig config = config();
    List<TrainExample> data = data(config);
    try (CausalLM policy = Tiny.gpt2(manager, 44)) {
      LocalTrainer t = new LocalTrainer(policy, config);
      t.train(data, 2, new Checkpoints(dir, 3));
      float[][] saved = Tiny.copy(t.state().weights());
      t.step(t.nextBatch(data));
      Checkpoints failing =
          new Checkpoints(
              dir,
              3,
              part -> {
                if (part.equals(Checkpoints.OPTIMIZER)) {
                  throw new IOException("injected: no space left on device");
                }
              });
      IOException e = assertThrows(IOException.class, () -> t.checkpoint(failing, data.size()));
      assertEquals("injected: no space left on device", e.getMessage());
      try (Stream<Path> files = Files.list(dir)) {
        assertEquals(
            List.of("checkpoint-00000002"), files.map(p -> p.getFileName().toString()).toList());
      }
      LocalTrainer back =
          LocalTrainer.resume(failing.latest().orElseThrow(), config, false, manager);
      try (CausalLM restored = back.policy()) {
        assertEquals(2, back.state().step());
        assertEquals(0.0, Tiny.maxAbsDiff(saved, Tiny.weights(restored)), 0.0);
      }
    }
  }

  /**
   * A process killed mid-write leaves only a hidden temporary directory, which is ignored and later
   * cleaned up.
   */
  @Test
  void leftoverTemporaryDirectoryIsIgnored(@TempDir Path dir) throws IOException {
    TrainConfig config = config();
    List<TrainExample> data = data(config);
    try (CausalLM policy = Tiny.gpt2(manager, 45)) {
      LocalTrainer t = new LocalTrainer(policy, config);
      Checkpoints checkpoints = new Checkpoints(dir, 3);
      t.train(data, 1, checkpoints);
      Path half = Files.createDirectories(dir.resolve(".checkpoint-00000002.tmp"));
      Files.writeString(half.resolve("config.json"), "{\"trunc");
      assertEquals(
          "checkpoint-00000001", checkpoints.latest().orElseThrow().getFileName().toString());
      t.train(data, 1, checkpoints);
      assertFalse(Files.exists(half));
      assertEquals(
          "checkpoint-00000002", checkpoints.latest().orElseThrow().getFileName().toString());
    }
  }

  /**
   * {@code save} deletes nothing, so a crash before the new checkpoint counts (for the Spark job:
   * before its {@code _COMPLETE} marker) still leaves the previous one, even with keep = 1; {@code
   * prune} then removes it. The state-only restore (the Spark driver's) holds what {@code load}
   * holds.
   */
  @Test
  void saveKeepsTheOldCheckpointsUntilPruned(@TempDir Path dir) throws IOException {
    TrainConfig config = config();
    List<TrainExample> data = data(config);
    try (CausalLM policy = Tiny.gpt2(manager, 48)) {
      LocalTrainer t = new LocalTrainer(policy, config);
      Checkpoints checkpoints = new Checkpoints(dir, 1);
      t.train(data, 1, checkpoints);
      t.step(t.nextBatch(data));
      checkpoints.save(policy.config(), null, t.state(), config, Map.of("epoch", 0));
      assertEquals(
          List.of("checkpoint-00000001", "checkpoint-00000002"),
          checkpoints.list().stream().map(p -> p.getFileName().toString()).toList());
      checkpoints.prune();
      assertEquals(
          List.of("checkpoint-00000002"),
          checkpoints.list().stream().map(p -> p.getFileName().toString()).toList());
      CheckpointReader.RestoredState r =
          CheckpointReader.loadState(dir.resolve("checkpoint-00000002"), config, false, null);
      assertEquals(2, r.state().step());
      assertEquals(t.state().consumedExamples(), r.state().consumedExamples());
      assertEquals(0.0, Tiny.maxAbsDiff(t.state().weights(), r.state().weights()), 0.0);
      assertEquals(
          0.0,
          Tiny.maxAbsDiff(t.state().optimizer().expAvg(), r.state().optimizer().expAvg()),
          0.0);
      assertEquals(null, r.lora());
      assertEquals(policy.config().modelType(), r.modelConfig().modelType());
    }
  }

  @Test
  void onlyTheNewestAreKept(@TempDir Path dir) throws IOException {
    TrainConfig config = config().with(TrainConfig.CHECKPOINT_EVERY, 1);
    try (CausalLM policy = Tiny.gpt2(manager, 46)) {
      Checkpoints checkpoints = new Checkpoints(dir, 2);
      new LocalTrainer(policy, config).train(data(config), 4, checkpoints);
      assertEquals(
          List.of("checkpoint-00000003", "checkpoint-00000004"),
          checkpoints.list().stream().map(p -> p.getFileName().toString()).toList());
    }
  }

  @Test
  void resumingUnderAnotherConfigurationIsRefusedUnlessForced(@TempDir Path dir)
      throws IOException {
    TrainConfig config = config();
    try (CausalLM policy = Tiny.gpt2(manager, 47)) {
      new LocalTrainer(policy, config).train(data(config), 1, new Checkpoints(dir, 1));
    }
    Path ckpt = new Checkpoints(dir, 1).latest().orElseThrow();
    TrainConfig other =
        config
            .with(TrainConfig.LEARNING_RATE, 2e-3)
            .with(TrainConfig.BETA, 0.2)
            .with(TrainConfig.KEEP_CHECKPOINTS, 5);
    TrainException e =
        assertThrows(TrainException.class, () -> LocalTrainer.resume(ckpt, other, false, manager));
    assertEquals(
        "checkpoint "
            + ckpt
            + " was written with a different training configuration (beta: 0.1 → 0.2,"
            + " learningRate: 0.001 → 0.002); resuming would not continue the same run. Use the saved values, or force the resume"
            + " to train on with the new ones",
        e.getMessage());
    LocalTrainer forced = LocalTrainer.resume(ckpt, other, true, manager);
    try (CausalLM p = forced.policy()) {
      assertEquals(1, forced.state().step());
      assertEquals(0.0, Tiny.maxAbsDiff(forced.state().weights(), Tiny.weights(p)), 0.0);
    }
    try (CausalLM p =
        LocalTrainer.resume(ckpt, config.with(TrainConfig.KEEP_CHECKPOINTS, 5), false, manager)
            .policy()) {
      assertTrue(p.parameters().size() > 0); // options that do not change the trajectory may differ
    }
  }
}
