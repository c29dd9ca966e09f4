package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LocalTrainerTest {
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
   * One d2o step from θ = reference: every negative's log-prob falls and every row's mean anchor
   * log-prob rises.
   */
  @Test
  void oneStepLowersTheNegativeAndRaisesTheAnchors() {
    try (CausalLM policy = Tiny.gpt2(manager, 20)) {
      TrainConfig config = Tiny.config("learningRate", 1e-3);
      List<TrainExample> rows = Tiny.withReference(policy, config, Tiny.rows(4, 21));
      LocalTrainer trainer = new LocalTrainer(policy, config);
      StepResult r = trainer.step(rows);
      assertFalse(r.skipped());
      float[][] after = trainer.computer().sequenceLogps(rows);
      for (int i = 0; i < rows.size(); i++) {
        TrainExample row = rows.get(i);
        double anchorLogRatio =
            (after[i][0] - row.refLogpAnchors()[0] + after[i][1] - row.refLogpAnchors()[1]) / 2;
        double negativeLogRatio = after[i][Tiny.K] - row.refLogpNegative();
        assertTrue(negativeLogRatio < 0, row.id() + ": negative logRatio " + negativeLogRatio);
        assertTrue(anchorLogRatio > 0, row.id() + ": mean anchor logRatio " + anchorLogRatio);
      }
      assertTrue(trainer.computer().compute(rows).loss() < Math.log(2));
    }
  }

  /**
   * TRL's "parameter has not changed" check: after one step every weight tensor differs from its
   * initial value.
   */
  @Test
  void everyTrainableParameterChangesAfterOneStep() {
    try (CausalLM policy = Tiny.gpt2(manager, 22)) {
      TrainConfig config = Tiny.config();
      List<TrainExample> rows = Tiny.withReference(policy, config, Tiny.rows(4, 23));
      List<String> names = new ArrayList<>(policy.parameters().keySet());
      float[][] before = Tiny.weights(policy);
      new LocalTrainer(policy, config).step(rows);
      float[][] after = Tiny.weights(policy); // the policy's arrays follow the master weights
      for (int p = 0; p < names.size(); p++) {
        double d = Tiny.maxAbsDiff(new float[][] {before[p]}, new float[][] {after[p]});
        assertTrue(d > 0, "parameter " + names.get(p) + " has not changed");
      }
    }
  }

  @Test
  void lossFallsOverTwentyStepsOnAFixedBatch() {
    try (CausalLM policy = Tiny.gpt2(manager, 24)) {
      TrainConfig config = Tiny.config("learningRate", 1e-2, "beta", 1.0, "alpha", 1.0);
      List<TrainExample> rows = Tiny.withReference(policy, config, Tiny.rows(4, 25));
      LocalTrainer trainer = new LocalTrainer(policy, config);
      List<Double> losses = new ArrayList<>();
      for (int s = 0; s < 20; s++) {
        losses.add(trainer.step(rows).metric("loss"));
      }
      assertEquals(Math.log(2), losses.get(0), 1e-6); // step 0 is taken at θ = reference
      assertTrue(losses.get(19) < 0.5 * losses.get(0), "losses " + losses);
      assertEquals(1.0, trainer.computer().compute(rows).metrics().get("rewards/accuracies"));
    }
  }

  @Test
  void metricsCarryTheArchitectureNames() {
    try (CausalLM policy = Tiny.gpt2(manager, 26)) {
      TrainConfig config = Tiny.config("warmupSteps", 4);
      List<TrainExample> rows = Tiny.withReference(policy, config, Tiny.rows(4, 27));
      StepResult r = new LocalTrainer(policy, config).step(rows);
      assertEquals(
          List.of(
              "loss",
              "rewards/anchors",
              "rewards/negative",
              "rewards/margins",
              "rewards/accuracies",
              "logps/anchors",
              "logps/negative",
              "grad_norm",
              "lr",
              "tokens_per_s",
              "skipped_steps",
              "timing/forward_backward",
              "timing/update"),
          new ArrayList<>(r.metrics().keySet()));
      assertEquals(0.25e-3, r.metric("lr"), 1e-12); // warmup: 1e-3 · (0 + 1) / 4
      assertEquals(0.0, r.metric("rewards/margins"), 0.0);
      assertTrue(r.metric("grad_norm") > 0 && r.metric("tokens_per_s") > 0);
      assertTrue(r.metric("timing/forward_backward") > 0, "measured around the gradient work");
    }
  }

  /**
   * Non-finite steps are skipped and counted; a finite step resets the run; N in a row stop
   * training.
   */
  @Test
  void nonFiniteStepsAreSkippedThenTrainingStops() {
    try (CausalLM policy = Tiny.gpt2(manager, 28)) {
      TrainConfig config = Tiny.config("maxConsecutiveSkips", 2);
      List<TrainExample> good = Tiny.withReference(policy, config, Tiny.rows(4, 29));
      List<TrainExample> bad = new ArrayList<>(good);
      bad.set(1, good.get(1).withReference(good.get(1).refLogpAnchors(), Double.NaN));
      LocalTrainer trainer = new LocalTrainer(policy, config);
      float[][] before = Tiny.weights(policy);
      StepResult s0 = trainer.step(bad);
      assertTrue(s0.skipped());
      assertEquals("non-finite loss NaN", s0.reason());
      assertEquals(1.0, s0.metric("skipped_steps"));
      assertEquals(
          0.0,
          Tiny.maxAbsDiff(before, Tiny.weights(policy)),
          0.0,
          "a skipped step must not move weights");
      StepResult s1 = trainer.step(good);
      assertFalse(s1.skipped());
      assertNull(s1.reason());
      assertEquals(1.0, s1.metric("skipped_steps"));
      assertTrue(trainer.step(bad).skipped());
      TrainException e = assertThrows(TrainException.class, () -> trainer.step(bad));
      assertEquals(
          "training stopped at step 3: 2 consecutive steps had a non-finite loss or gradient (last:"
              + " non-finite loss NaN; limit maxConsecutiveSkips = 2). Lower learningRate, check the rows' reference"
              + " log-probs, or resume from the last checkpoint",
          e.getMessage());
      assertEquals(3, trainer.state().skippedSteps());
      assertEquals(1, trainer.state().weightsVersion());
    }
  }

  /** The trainer's micro-batch path: microBatches = 4 gives the same step as one batch. */
  @Test
  void microBatchesGiveTheSameStep() {
    List<Map<String, Double>> metrics = new ArrayList<>();
    List<float[][]> weights = new ArrayList<>();
    for (int micro : new int[] {1, 4}) {
      try (CausalLM policy = Tiny.gpt2(manager, 30);
          CausalLM reference = Tiny.gpt2(manager, 31)) {
        TrainConfig config = Tiny.config("microBatches", micro, "batchSize", 8, "adamEps", 1e-3);
        List<TrainExample> rows = Tiny.withReference(reference, config, Tiny.rows(8, 32));
        metrics.add(new LocalTrainer(policy, config).step(rows).metrics());
        weights.add(Tiny.weights(policy));
      }
    }
    // ε = 1e-3 keeps Adam's first step g/(|g| + ε) smooth in g, so 1e-7 gradient noise cannot flip
    // a sign
    assertTrue(Tiny.maxAbsDiff(weights.get(0), weights.get(1)) <= 1e-5);
    for (String k : List.of("loss", "rewards/margins", "grad_norm", "logps/anchors")) {
      assertEquals(metrics.get(0).get(k), metrics.get(1).get(k), 1e-5, k);
    }
  }

  @Test
  void dataOrderIsASeededShuffleThatCoversEveryRowEachEpoch() {
    try (CausalLM policy = Tiny.gpt2(manager, 33)) {
      List<TrainExample> data = Tiny.rows(6, 34);
      List<String> a =
          new LocalTrainer(policy, Tiny.config("batchSize", 6))
              .nextBatch(data).stream().map(TrainExample::id).toList();
      List<String> again =
          new LocalTrainer(policy, Tiny.config("batchSize", 6))
              .nextBatch(data).stream().map(TrainExample::id).toList();
      List<String> otherSeed =
          new LocalTrainer(policy, Tiny.config("batchSize", 6, "seed", 7))
              .nextBatch(data).stream().map(TrainExample::id).toList();
      assertEquals(a, again);
      assertEquals(
          List.of("row0", "row1", "row2", "row3", "row4", "row5"), a.stream().sorted().toList());
      assertNotEquals(a, otherSeed);
    }
  }
}
