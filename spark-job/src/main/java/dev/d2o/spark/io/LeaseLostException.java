package dev.d2o.spark.io;

import dev.d2o.error.D2oException;

/**
 * Another run took over this run's directory (its lease had expired, or {@code --break-lock}); the
 * message names the new holder. This run stops rather than write beside it.
 */
public class LeaseLostException extends D2oException {
  private static final long serialVersionUID = 1L;

  public LeaseLostException(String message) {
    super(message);
  }
}
