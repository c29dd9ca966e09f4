package dev.d2o.error;

/** A configuration error; the message names the key, the bad value and what is allowed. */
public class ConfigException extends D2oException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
