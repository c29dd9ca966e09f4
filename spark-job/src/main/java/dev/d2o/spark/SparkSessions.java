package dev.d2o.spark;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The job's SparkSession: under {@code spark-submit} the master and settings come from there (the
 * train stage checks {@code spark.driver.maxResultSize} against what its gradient results need);
 * run in-process (the embedded default) the master is {@code run.master} ({@code local[*]}) and
 * {@code spark.driver.maxResultSize} is set from the trainable size ({@link ResultSize}).
 */
public final class SparkSessions {
  private static final Logger LOG = LoggerFactory.getLogger(SparkSessions.class);

  private SparkSessions() {}

  /** Gets or creates the session for {@code cfg}. */
  public static SparkSession create(JobConfig cfg) {
    SparkConf conf = new SparkConf(); // picks up spark.* system properties set by spark-submit
    SparkSession.Builder b = SparkSession.builder().appName("d2o");
    if (!conf.contains("spark.master")) {
      String master = cfg.get(Keys.RUN_MASTER);
      b.master(master)
          .config("spark.ui.showConsoleProgress", "false")
          .config("spark.sql.shuffle.partitions", "8");
      if (!conf.contains("spark.driver.maxResultSize")) {
        maxResultSize(cfg, master).ifPresent(v -> b.config("spark.driver.maxResultSize", v));
      }
    }
    return b.getOrCreate();
  }

  /** Spark's default 1 GB, or what the run's gradient results need when that is more. */
  private static Optional<String> maxResultSize(JobConfig cfg, String master) {
    long trainable;
    try {
      trainable = ResultSize.trainable(cfg, new Configuration());
    } catch (RuntimeException e) { // the stages report a missing model with their own message
      LOG.debug("no model config to size spark.driver.maxResultSize from: {}", e.toString());
      return Optional.empty();
    }
    long needed = ResultSize.needed(ResultSize.groups(cfg, master), trainable);
    return needed <= (1L << 30) ? Optional.empty() : Optional.of(ResultSize.megabytes(needed));
  }
}
