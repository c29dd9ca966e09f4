package dev.d2o.error;

/** Bad user input (a file, a line, a field): the message names where and what is allowed. */
public class InputException extends D2oException {
  private static final long serialVersionUID = 1L;

  public InputException(String message) {
    super(message);
  }

  public InputException(String message, Throwable cause) {
    super(message, cause);
  }
}
