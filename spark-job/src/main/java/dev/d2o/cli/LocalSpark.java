package dev.d2o.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The SparkSession of a command: the master and settings spark-submit gives, or an embedded {@code
 * local[*]} bound to 127.0.0.1 with the UI off when the command runs on its own ({@code bin/d2o}).
 */
final class LocalSpark {
  private LocalSpark() {}

  static SparkSession session(String appName) {
    SparkConf conf = new SparkConf();
    SparkSession.Builder b = SparkSession.builder().appName(appName);
    if (!conf.contains("spark.master")) {
      b.master("local[*]")
          .config("spark.ui.enabled", "false")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.sql.shuffle.partitions", "4")
          // the weights broadcast is random floats, which do not compress (WeightsPayload)
          .config("spark.broadcast.compress", "false");
    }
    return b.getOrCreate();
  }
}
