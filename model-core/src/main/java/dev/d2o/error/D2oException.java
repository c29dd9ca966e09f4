package dev.d2o.error;

/**
 * The base of the project's own errors: bad input ({@link InputException}), bad configuration
 * ({@link ConfigException}), a bad model or checkpoint file ({@code ModelException}) a training run
 * that cannot go on ({@code TrainException}). Their messages are written for the person who started
 * the run (they name the file, row, key or value at fault and what is allowed), so the command line
 * prints them as one line, and a Spark job that failed on an executor is rethrown as the project
 * error it carries rather than as Spark's stage-failure text.
 */
public abstract class D2oException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  protected D2oException(String message) {
    super(message);
  }

  protected D2oException(String message, Throwable cause) {
    super(message, cause);
  }
}
