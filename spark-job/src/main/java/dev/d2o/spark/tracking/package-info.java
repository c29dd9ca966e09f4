/**
 * Experiment tracking: a {@link dev.d2o.spark.tracking.Tracker} the train stage calls (parameters,
 * per-step metrics, tags, artifact paths, the final status), a no-op one when no tracking URI is
 * configured, and an MLflow one that speaks MLflow's tracking REST API ({@link
 * dev.d2o.spark.tracking.MlflowClient}; no MLflow Java client is on Maven Central). Driver-side
 * only; imports nothing of the command line.
 */
package dev.d2o.spark.tracking;
