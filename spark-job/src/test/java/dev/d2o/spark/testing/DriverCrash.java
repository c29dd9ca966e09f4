package dev.d2o.spark.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Pipeline;
import org.apache.spark.sql.SparkSession;

/**
 * Runs a whole pipeline with the driver fault injected at a training step ({@code FaultInjection}).
 */
public final class DriverCrash {
  private DriverCrash() {}

  /**
   * Runs every stage of {@code cfg} with the driver failing at training step {@code step} and
   * asserts that it failed; the fault is cleared afterwards whatever happened.
   */
  public static void runCrashingAt(SparkSession spark, JobConfig cfg, int step) {
    System.setProperty("d2o.fault.driver", Integer.toString(step));
    try {
      assertThrows(
          IllegalStateException.class,
          () -> Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false));
    } finally {
      System.clearProperty("d2o.fault.driver");
    }
  }
}
