package dev.d2o.spark.tracking;

import java.io.Serializable;

/**
 * Where and under what names to track: the future {@code tracking.mlflow.uri}, {@code
 * tracking.mlflow.experiment} and {@code tracking.mlflow.runName} keys. An empty URI turns tracking
 * off. {@code token}, when set, is sent as {@code Authorization: Bearer} (Databricks; MLflow's
 * {@code MLFLOW_TRACKING_TOKEN}); never logged.
 *
 * @param uri the tracking server, e.g. {@code http://127.0.0.1:5000} (empty: no tracking)
 * @param experiment the experiment name (created when missing)
 * @param runName the run's display name
 * @param token a bearer token, or null
 */
public record TrackingSettings(String uri, String experiment, String runName, String token)
    implements Serializable {
  /** Settings that track nothing. */
  public static TrackingSettings off() {
    return new TrackingSettings("", "", "", null);
  }

  /** Whether a tracking URI is set. */
  public boolean enabled() {
    return uri != null && !uri.isBlank();
  }

  @Override
  public String toString() {
    // The token stays out of logs and exception messages.
    return "TrackingSettings[uri="
        + uri
        + ", experiment="
        + experiment
        + ", runName="
        + runName
        + ", token="
        + (token == null ? "none" : "***")
        + "]";
  }
}
