package dev.d2o.train;

import dev.d2o.error.D2oException;

/**
 * A training run cannot go on: too many consecutive non-finite steps, a checkpoint that cannot be
 * resumed, gradients from different weight versions. The message says what happened and what to do
 * about it.
 */
public class TrainException extends D2oException {
  private static final long serialVersionUID = 1L;

  public TrainException(String message) {
    super(message);
  }

  public TrainException(String message, Throwable cause) {
    super(message, cause);
  }
}
