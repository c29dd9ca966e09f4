package dev.d2o.spark;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The job's SparkSession: under {@code spark-submit} the master and settings come from there; run
 * in-process (the embedded default) the master is {@code run.master} ({@code local[*]}).
 */
public final class SparkSessions {
  private SparkSessions() {}

  /** Gets or creates the session for {@code cfg}. */
  public static SparkSession create(JobConfig cfg) {
    SparkConf conf = new SparkConf(); // picks up spark.* system properties set by spark-submit
    SparkSession.Builder b = SparkSession.builder().appName("d2o");
    if (!conf.contains("spark.master")) {
      b.master(cfg.get(Keys.RUN_MASTER))
          .config("spark.ui.showConsoleProgress", "false")
          .config("spark.sql.shuffle.partitions", "8");
    }
    return b.getOrCreate();
  }
}
