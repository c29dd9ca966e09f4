package dev.d2o.spark;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The job's SparkSession: app name "d2o", the master from {@code run.master} only when none is given by
 * spark-submit (which sets {@code spark.master} as a system property), and no console progress bars.
 */
public final class SparkSessions {
  /** The application name shown in the Spark UI and the history server. */
  public static final String APP_NAME = "d2o";

  private SparkSessions() {}

  /** The session for {@code cfg}; the caller stops it. */
  public static SparkSession create(JobConfig cfg) {
    SparkSession.Builder b = SparkSession.builder().appName(APP_NAME)
        .config("spark.ui.showConsoleProgress", "false");
    if (!new SparkConf().contains("spark.master")) { // SparkConf reads the spark.* system properties
      b.master(cfg.get(Keys.RUN_MASTER));
    }
    return b.getOrCreate();
  }
}
