package dev.d2o.spark.tracking;

/** How a tracked run ended, as MLflow's {@code RunStatus} names it. */
public enum RunStatus {
  FINISHED,
  FAILED,
  KILLED
}
