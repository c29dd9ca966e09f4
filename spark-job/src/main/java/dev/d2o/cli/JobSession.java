package dev.d2o.cli;

import dev.d2o.spark.SparkSessions;
import dev.d2o.spark.config.JobConfig;
import org.apache.spark.SparkEnv;
import org.apache.spark.sql.SparkSession;
import scala.Option;

/**
 * The Spark session of one command, stopped at its end only if the command created it. Under {@code
 * bin/d2o} and {@code spark-submit} the command creates the session (and stops it, so event logs
 * are flushed); on Databricks the session and its SparkContext exist before the task starts and are
 * shared by every task of the job cluster, so stopping them would break the next task.
 */
final class JobSession implements AutoCloseable {
  private final SparkSession spark;
  private final boolean created;

  private JobSession(SparkSession spark, boolean created) {
    this.spark = spark;
    this.created = created;
  }

  /** The session for {@code cfg}: the existing one when there is one, else a new one. */
  static JobSession open(JobConfig cfg) {
    boolean existed = contextExists();
    return new JobSession(SparkSessions.create(cfg), !existed);
  }

  /**
   * Whether this JVM already runs a SparkContext (a session, or a bare context a new session would
   * be built over: {@code SparkEnv} is set on the driver from the context's start to its stop).
   */
  static boolean contextExists() {
    return live(SparkSession.getActiveSession())
        || live(SparkSession.getDefaultSession())
        || SparkEnv.get() != null;
  }

  /**
   * Whether {@code session} is set and running: a stopped session can stay this thread's active
   * one, and a command that counted it would neither create nor stop the session it then gets.
   */
  private static boolean live(Option<SparkSession> session) {
    return session.isDefined() && !session.get().sparkContext().isStopped();
  }

  SparkSession spark() {
    return spark;
  }

  /** Whether this command created the session (and will stop it). */
  boolean created() {
    return created;
  }

  @Override
  public void close() {
    if (created) {
      spark.stop();
    }
  }
}
