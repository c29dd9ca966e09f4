package dev.d2o.cli;

/**
 * The main class for launchers that own the JVM: {@code spark-submit} (client or cluster mode, any
 * master), a YARN ApplicationMaster, a Databricks JAR task, an EMR step, Airflow's
 * SparkSubmitOperator. It runs the same command line as {@code bin/d2o} ({@link D2oCli}) but never
 * calls {@code System.exit}: it returns normally when the command succeeded and throws when it
 * failed, after printing the project's one-line message.
 *
 * <p>Why a separate class: in YARN cluster mode Spark's ApplicationMaster records a user {@code
 * System.exit} before the final status as a failed, early exit and starts another attempt (even for
 * exit status 0), and reads the outcome of the application from whether {@code main} returned or
 * threw (the exception's text becomes the application's diagnostics). Databricks runs JAR tasks in
 * a shared, long-lived JVM and context that a task must neither exit nor stop. The commands stop a
 * Spark session only if they created it ({@link JobSession}), so tasks that share a cluster do not
 * break each other.
 */
public final class SparkMain {
  private SparkMain() {}

  /** Runs the command line; throws when it failed. */
  public static void main(String[] args) throws Exception {
    D2oCli.runOrThrow(args);
  }
}
