package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import dev.d2o.model.NoGrad;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Two threads back-propagate through two separate models at the same time (as two Spark tasks of
 * one JVM do, each on its own replica): each thread's gradient equals the one computed alone, bit
 * for bit, and the computations did overlap in time.
 */
class ThreadGradientScopeTest {
  private static final int ROUNDS = 4;
  private static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  @Test
  void twoThreadsOnTwoModelsEqualTheirSequentialResults() throws Exception {
    try (CausalLM a = Tiny.gpt2(manager, 1);
        CausalLM b = Tiny.gpt2(manager, 2);
        CausalLM reference = Tiny.gpt2(manager, 3)) {
      TrainConfig config = Tiny.config();
      List<TrainExample> rowsA = Tiny.withReference(reference, config, Tiny.rows(6, 4));
      List<TrainExample> rowsB = Tiny.withReference(reference, config, Tiny.rows(6, 6));
      GradientComputer onA = new GradientComputer(a, config.loss(), 2);
      GradientComputer onB = new GradientComputer(b, config.loss(), 2);
      GradientSums aloneA = onA.compute(rowsA);
      GradientSums aloneB = onB.compute(rowsB);

      CyclicBarrier start = new CyclicBarrier(2);
      ExecutorService pool = Executors.newFixedThreadPool(2);
      try {
        Future<List<Run>> fa = pool.submit(() -> rounds(onA, rowsA, start));
        Future<List<Run>> fb = pool.submit(() -> rounds(onB, rowsB, start));
        List<Run> runsA = fa.get();
        List<Run> runsB = fb.get();
        long overlapNanos = 0;
        for (int i = 0; i < ROUNDS; i++) {
          assertSame(aloneA, runsA.get(i).sums(), "model A, round " + i);
          assertSame(aloneB, runsB.get(i).sums(), "model B, round " + i);
          overlapNanos +=
              Math.max(
                  0,
                  Math.min(runsA.get(i).end(), runsB.get(i).end())
                      - Math.max(runsA.get(i).start(), runsB.get(i).start()));
        }
        // without this the test could pass with the threads taking turns
        assertTrue(overlapNanos > 0, "the two threads never computed at the same time");
      } finally {
        pool.shutdown();
      }
    }
  }

  @Test
  void scopesDoNotNestAndRestoreTheThreadsMode() throws Exception {
    try (NoGrad off = NoGrad.open()) {
      try (ThreadGradientScope s = ThreadGradientScope.open()) {
        assertTrue(NoGrad.isRecording(), "a scope records");
        IllegalStateException e =
            assertThrows(IllegalStateException.class, ThreadGradientScope::open);
        assertTrue(
            e.getMessage().startsWith("a gradient scope is already open in thread "),
            e.getMessage());
        assertTrue(
            e.getMessage()
                .endsWith("scopes do not nest (close the first one before" + " opening another)"),
            e.getMessage());
      }
      assertFalse(NoGrad.isRecording(), "closing restores the thread's mode (off here)");
      ThreadGradientScope.open().close(); // a scope can be opened again after the first closed
    }
  }

  @Test
  void aScopeIsUsedOnlyInItsThread() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try (ThreadGradientScope s = ThreadGradientScope.open()) {
      Exception e =
          assertThrows(
              java.util.concurrent.ExecutionException.class,
              () -> pool.submit(() -> s.backward(manager.create(1f))).get());
      assertTrue(
          e.getCause().getMessage().matches("gradient scope opened in thread .* used in thread .*"),
          e.getCause().getMessage());
    } finally {
      pool.shutdown();
    }
  }

  private record Run(GradientSums sums, long start, long end) {}

  private static List<Run> rounds(GradientComputer c, List<TrainExample> rows, CyclicBarrier start)
      throws Exception {
    List<Run> out = new ArrayList<>();
    for (int i = 0; i < ROUNDS; i++) {
      start.await(); // both threads begin each round together
      long t0 = System.nanoTime();
      GradientSums s = c.compute(rows);
      out.add(new Run(s, t0, System.nanoTime()));
    }
    return out;
  }

  private static void assertSame(GradientSums expected, GradientSums got, String what) {
    assertEquals(expected.loss(), got.loss(), what + ": loss"); // bit for bit
    float[][] e = expected.gradient();
    float[][] g = got.gradient();
    assertEquals(e.length, g.length, what);
    for (int p = 0; p < e.length; p++) {
      assertArrayEquals(e[p], g[p], what + ": gradient of parameter " + p);
    }
  }
}
