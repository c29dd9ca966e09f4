package dev.d2o.spark.config;

/** A configuration error; the message names the key, the bad value and what is allowed. */
public class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
