package dev.d2o.chat;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One turn of a conversation, as {@code apply_chat_template} takes it: {@code {"role": ...,
 * "content": ...}}.
 *
 * @param role {@code system}, {@code user} or {@code assistant} ({@link #ROLES})
 * @param content the turn's text
 */
public record Message(String role, String content) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The roles the project's inputs may use; templates may know more (tools), inputs may not. */
  public static final List<String> ROLES = List.of("system", "user", "assistant");

  public Message {
    if (role == null || content == null) {
      throw new IllegalArgumentException("a message needs a role and a content, got " + role);
    }
  }

  /** A user turn. */
  public static Message user(String content) {
    return new Message("user", content);
  }

  /** A system turn. */
  public static Message system(String content) {
    return new Message("system", content);
  }

  /** An assistant turn. */
  public static Message assistant(String content) {
    return new Message("assistant", content);
  }

  /** The message as the template sees it: a map with {@code role} and {@code content}. */
  Map<String, Object> asMap() {
    // Ordered as the JSON input is: a template's tojson prints the keys in this order.
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("role", role);
    m.put("content", content);
    return m;
  }
}
