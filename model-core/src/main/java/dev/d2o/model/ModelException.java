package dev.d2o.model;

import dev.d2o.error.D2oException;

/**
 * The project's own error for anything wrong with a model directory, a checkpoint file, a tokenizer
 * or the inputs given to a model. Messages name the file, tensor, row or key at fault and what was
 * expected.
 */
public class ModelException extends D2oException {
  private static final long serialVersionUID = 1L;

  public ModelException(String message) {
    super(message);
  }

  public ModelException(String message, Throwable cause) {
    super(message, cause);
  }
}
