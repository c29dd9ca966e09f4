package dev.d2o.spark.tracking;

import dev.d2o.error.D2oException;

/**
 * A tracking server refused or failed a call. The message names the method, the URL and what the
 * server answered (HTTP status, MLflow's {@code error_code} and {@code message}).
 */
public class TrackingException extends D2oException {
  private static final long serialVersionUID = 1L;

  public TrackingException(String message) {
    super(message);
  }

  public TrackingException(String message, Throwable cause) {
    super(message, cause);
  }
}
