package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class GradientComputerTest {
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
   * With the reference scored by the same packing, every Δ is 0 bit for bit and the mean loss is
   * fp32 ln 2.
   */
  @ParameterizedTest
  @ValueSource(strings = {"d2o", "d2o-instance", "dpo"})
  void lnTwoAtTheReference(String type) {
    try (CausalLM policy = Tiny.gpt2(manager, 1)) {
      TrainConfig config = Tiny.config("loss", type);
      List<TrainExample> rows = Tiny.withReference(policy, config, Tiny.rows(4, 2));
      GradientSums sums = new GradientComputer(policy, config.loss(), 4).compute(rows);
      assertEquals((double) (float) Math.log(2), sums.loss(), 0.0);
      assertEquals(0.0, sums.metrics().get("rewards/margins"), 0.0);
    }
  }

  /**
   * ∇ of the mean loss against double-sided finite differences at a few random coordinates. β = α =
   * 1 so that the gradients are well above fp32 noise; h = 1e-2 keeps the rounding error of the
   * loss (~1e-7 / 2h ≈ 5e-6) small against gradients ≥ 1e-3, and the truncation error O(h²) small
   * for weights of scale 0.02.
   */
  @Test
  void gradientMatchesFiniteDifferences() {
    try (CausalLM policy = Tiny.gpt2(manager, 3);
        CausalLM reference = Tiny.gpt2(manager, 4)) {
      TrainConfig config = Tiny.config("beta", 1.0, "alpha", 1.0);
      List<TrainExample> rows = Tiny.withReference(reference, config, Tiny.rows(3, 5));
      GradientComputer computer = new GradientComputer(policy, config.loss(), 4);
      float[][] w0 = Tiny.weights(policy);
      float[][] grad = computer.compute(rows).gradient();
      Random r = new Random(6);
      int checked = 0;
      for (int tries = 0; checked < 6 && tries < 10_000; tries++) {
        int p = r.nextInt(grad.length);
        int i = r.nextInt(grad[p].length);
        if (Math.abs(grad[p][i]) < 1e-3) {
          continue; // relative error means nothing for gradients at the level of fp32 noise
        }
        double h = 1e-2;
        double plus = lossAt(computer, w0, p, i, h, rows);
        double minus = lossAt(computer, w0, p, i, -h, rows);
        double fd = (plus - minus) / (2 * h);
        double rel = Math.abs(fd - grad[p][i]) / Math.max(Math.abs(fd), Math.abs(grad[p][i]));
        assertTrue(
            rel < 1e-2,
            "param "
                + p
                + " index "
                + i
                + ": autograd "
                + grad[p][i]
                + ", finite differences "
                + fd
                + " (relative error "
                + rel
                + ")");
        checked++;
      }
      assertEquals(6, checked, "not enough coordinates with a gradient ≥ 1e-3");
    }
  }

  private static double lossAt(
      GradientComputer c, float[][] w0, int p, int i, double h, List<TrainExample> rows) {
    float[][] w = Tiny.copy(w0);
    w[p][i] += (float) h;
    c.setWeights(1, w);
    return c.compute(rows).loss();
  }

  /** Sums of 4 micro-batches of 4, merged, equal one batch of 16 in one forward/backward pass. */
  @Test
  void accumulationOverMicroBatchesEqualsOneLargeBatch() {
    try (CausalLM policy = Tiny.gpt2(manager, 7);
        CausalLM reference = Tiny.gpt2(manager, 8)) {
      TrainConfig config = Tiny.config();
      List<TrainExample> rows = Tiny.withReference(reference, config, Tiny.rows(16, 9));
      GradientSums whole = new GradientComputer(policy, config.loss(), 16).compute(rows);
      GradientComputer small = new GradientComputer(policy, config.loss(), 4);
      GradientSums merged = GradientSums.zero();
      for (int m = 0; m < 4; m++) {
        small.add(merged, rows.subList(4 * m, 4 * m + 4)); // add merges into its accumulator
      }
      assertEquals(16, merged.count());
      assertEquals(whole.loss(), merged.loss(), 1e-6);
      assertEquals(whole.tokens(), merged.tokens());
      double diff = Tiny.maxAbsDiff(whole.gradient(), merged.gradient());
      assertTrue(diff <= 1e-5, "max |Δgrad| = " + diff);
      whole.metrics().forEach((k, v) -> assertEquals(v, merged.metrics().get(k), 1e-5, k));
    }
  }

  @Test
  void gradientsDoNotCarryOverBetweenCalls() {
    try (CausalLM policy = Tiny.gpt2(manager, 10);
        CausalLM reference = Tiny.gpt2(manager, 11)) {
      TrainConfig config = Tiny.config();
      List<TrainExample> rows = Tiny.withReference(reference, config, Tiny.rows(4, 12));
      GradientComputer c = new GradientComputer(policy, config.loss(), 2);
      double[][] first = c.compute(rows).gradientSum();
      c.compute(new ArrayList<>(Tiny.rows(2, 13))); // other rows in between
      double[][] again = c.compute(rows).gradientSum();
      assertEquals(0.0, Tiny.maxAbsDiff(first, again), 0.0);
    }
  }

  /**
   * Spark runs tasks on pool threads, where PyTorch's thread-local grad mode has its default: same
   * results there.
   */
  @Test
  void sameSumsOnAnotherThread() throws Exception {
    try (CausalLM policy = Tiny.gpt2(manager, 18);
        CausalLM reference = Tiny.gpt2(manager, 19)) {
      TrainConfig config = Tiny.config();
      List<TrainExample> rows = Tiny.withReference(reference, config, Tiny.rows(4, 20));
      GradientComputer c = new GradientComputer(policy, config.loss(), 2);
      float[][] w = Tiny.weights(policy);
      GradientSums here = c.compute(rows);
      float[][] logpsHere = c.sequenceLogps(rows);
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newSingleThreadExecutor();
      try {
        GradientSums there =
            pool.submit(
                    () -> {
                      c.setWeights(0, w);
                      return c.compute(rows);
                    })
                .get();
        float[][] logpsThere = pool.submit(() -> c.sequenceLogps(rows)).get();
        assertEquals(0.0, Tiny.maxAbsDiff(here.gradientSum(), there.gradientSum()), 0.0);
        assertEquals(0.0, Tiny.maxAbsDiff(logpsHere, logpsThere), 0.0);
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void shardsFromDifferentWeightsDoNotMerge() {
    try (CausalLM policy = Tiny.gpt2(manager, 14)) {
      TrainConfig config = Tiny.config();
      List<TrainExample> rows = Tiny.withReference(policy, config, Tiny.rows(2, 15));
      GradientComputer c = new GradientComputer(policy, config.loss(), 4);
      GradientSums a = c.compute(rows);
      c.setWeights(3, Tiny.weights(policy));
      GradientSums b = c.compute(rows);
      TrainException e = assertThrows(TrainException.class, () -> a.merge(b));
      assertEquals(
          "cannot merge gradients taken at weights version 0 and 3: every shard of a step must use the same"
              + " weights (a stale replica?)",
          e.getMessage());
    }
  }

  @Test
  void rowsWithTheWrongNumberOfAnchorsAreRejected() {
    try (CausalLM policy = Tiny.gpt2(manager, 16)) {
      GradientComputer c = new GradientComputer(policy, LossConfig.of("d2o", 0.1, 0.1, 3), 4);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> c.compute(Tiny.rows(1, 17)));
      assertEquals("row row0 has 2 anchors but k = 3", e.getMessage());
    }
  }
}
