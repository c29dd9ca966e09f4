package dev.d2o.chat;

import dev.d2o.model.ModelException;

/**
 * A chat template that cannot be loaded or that fails while rendering (its {@code
 * raise_exception(...)}, a syntax error, an unknown filter). The message names the template's
 * source and what went wrong.
 */
public class ChatTemplateException extends ModelException {
  private static final long serialVersionUID = 1L;

  public ChatTemplateException(String message) {
    super(message);
  }

  public ChatTemplateException(String message, Throwable cause) {
    super(message, cause);
  }
}
