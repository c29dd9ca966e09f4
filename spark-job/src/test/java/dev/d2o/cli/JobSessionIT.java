package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.spark.config.JobConfig;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * A command stops the Spark session only if it created it: under {@code bin/d2o} and spark-submit
 * it creates one and stops it; on Databricks the session exists before the task and must outlive
 * it.
 */
class JobSessionIT {
  private final JobConfig cfg = JobConfig.load(null, List.of("run.master=local[1]"));

  @Test
  void aSessionTheCommandCreatedIsStopped() {
    assertFalse(JobSession.contextExists(), "no Spark context before the test");
    try (JobSession s = JobSession.open(cfg)) {
      assertTrue(s.created());
      assertTrue(JobSession.contextExists());
    }
    assertFalse(JobSession.contextExists(), "the command stopped the session it created");
  }

  @Test
  void aSessionThatExistedBeforeOutlivesTheCommand() {
    SparkSession shared =
        SparkSession.builder()
            .master("local[1]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    try {
      try (JobSession s = JobSession.open(cfg)) {
        assertFalse(s.created());
        assertTrue(s.spark() == shared, "the command runs in the shared session");
      }
      assertFalse(shared.sparkContext().isStopped(), "the shared context is still running");
    } finally {
      shared.stop();
    }
  }
}
