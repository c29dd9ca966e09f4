package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.ConfigException;
import dev.d2o.spark.config.JobConfig;
import java.util.List;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** What a step's gradient results need of {@code spark.driver.maxResultSize}, and the check. */
class ResultSizeTest {
  @Test
  void oneFloatResultPerGroupPlusOverhead() {
    assertEquals(3 * (4 * 1000L + ResultSize.OVERHEAD), ResultSize.needed(3, 1000));
    // 124 M parameters (GPT-2 small, full fine-tuning) on 4 executors: 4 results of 496 MB
    long gpt2 = 124_439_808L;
    assertEquals("1903m", ResultSize.megabytes(ResultSize.needed(4, gpt2)));
    assertEquals("1m", ResultSize.megabytes(1));
    assertEquals("1m", ResultSize.megabytes(1 << 20));
  }

  @Test
  void groupsOfAnInProcessMaster() {
    JobConfig cfg = JobConfig.load(null, List.of());
    assertEquals(1, ResultSize.groups(cfg, "local[4]"));
    assertEquals(3, ResultSize.groups(cfg, "local-cluster[3, 1, 1024]"));
    JobConfig fixed = JobConfig.load(null, List.of("train.gradientTasks=5"));
    assertEquals(5, ResultSize.groups(fixed, "local-cluster[3, 1, 1024]"));
  }

  @Test
  void aTooSmallLimitNamesTheSizeItNeeds() {
    SparkConf conf = new SparkConf(false).set("spark.driver.maxResultSize", "100m");
    ConfigException e =
        assertThrows(ConfigException.class, () -> ResultSize.check(conf, 4, 30_000_000L));
    assertEquals(
        "spark.driver.maxResultSize = 100m is too small for this run's gradient results: 4 tasks"
            + " (train.gradientTasks) × 30000000 trainable floats × 4 bytes = 484.2 MB per step."
            + " Set spark.driver.maxResultSize to at least 462m (spark-submit --conf"
            + " spark.driver.maxResultSize=462m), or train fewer parameters (lora.rank)",
        e.getMessage());
    assertDoesNotThrow(
        () -> ResultSize.check(conf.set("spark.driver.maxResultSize", "462m"), 4, 30_000_000L));
    assertDoesNotThrow(
        () -> ResultSize.check(conf.set("spark.driver.maxResultSize", "0"), 4, 30_000_000L),
        "0 = unlimited");
    // unset: Spark's default 1g
    ConfigException unset =
        assertThrows(
            ConfigException.class, () -> ResultSize.check(new SparkConf(false), 3, 124_439_808L));
    assertTrue(
        unset.getMessage().startsWith("spark.driver.maxResultSize = 1g is too small"),
        unset.getMessage());
  }
}
