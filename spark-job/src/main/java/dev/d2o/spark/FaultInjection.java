package dev.d2o.spark;

import org.apache.spark.TaskContext;

/**
 * Test hook: with the JVM property {@code d2o.fault.<point>=<partition>}, the first attempt of that
 * partition's task at {@code point} throws, so tests can show that a retried task reproduces its
 * output. Without the property this does nothing.
 */
public final class FaultInjection {
  private FaultInjection() {}

  /**
   * Driver-side: with {@code d2o.fault.<point>=<step>}, throws when the loop reaches that step (a
   * simulated driver crash, for resume tests).
   */
  public static void maybeFailAtStep(String point, long step) {
    String target = System.getProperty("d2o.fault." + point);
    if (target != null && Long.parseLong(target) == step) {
      throw new IllegalStateException("injected driver fault at " + point + " step " + step);
    }
  }

  /**
   * With {@code d2o.delay.<point>=<ms>}, sleeps that long: cluster tests slow the steps down so
   * that they can kill an executor while it works, or the driver between two checkpoints.
   */
  public static void maybeDelay(String point) {
    String ms = System.getProperty("d2o.delay." + point);
    if (ms != null) {
      try {
        Thread.sleep(Long.parseLong(ms));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Throws on the first attempt of the configured partition at {@code point}. */
  public static void maybeFail(String point) {
    String target = System.getProperty("d2o.fault." + point);
    TaskContext tc = TaskContext.get();
    if (target == null || tc == null) {
      return;
    }
    if (tc.attemptNumber() == 0 && String.valueOf(tc.partitionId()).equals(target)) {
      throw new IllegalStateException(
          "injected fault at " + point + ", partition " + target + ", attempt 0");
    }
  }
}
