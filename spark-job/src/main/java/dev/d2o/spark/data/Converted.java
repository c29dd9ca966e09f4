package dev.d2o.spark.data;

import dev.d2o.chat.Message;
import dev.d2o.chat.PromptRenderer;
import java.util.List;

/**
 * One training row made from an input row by a {@link Preset}: a prompt (text, and the conversation
 * when the input's prompt has several turns or comes as a message list) and a negative, or the
 * reason the input row gives none (then it is counted and written to the rejects).
 *
 * @param prompt the prompt text; for a conversation its {@link PromptRenderer#plainText}
 * @param conversation the prompt as messages ending with a user turn, or null for a text prompt
 * @param negative the negative response
 * @param reason why the input row gives no training row (the others null), or null
 * @param idSuffix appended to the input row's id (an input row that gives several rows)
 */
record Converted(
    String prompt, List<Message> conversation, String negative, String reason, String idSuffix) {
  /** A row with a text prompt. */
  static Converted text(String prompt, String negative) {
    return new Converted(prompt, null, negative, null, "");
  }

  /** A row whose prompt is {@code conversation}. */
  static Converted conversation(List<Message> conversation, String negative) {
    return new Converted(PromptRenderer.plainText(conversation), conversation, negative, null, "");
  }

  /** An input row that gives no training row, and why. */
  static Converted skip(String reason) {
    return new Converted(null, null, null, reason, "");
  }

  /** This row with the id suffix {@code suffix}. */
  Converted withIdSuffix(String suffix) {
    return new Converted(prompt, conversation, negative, reason, suffix);
  }

  /** Whether this is a skip. */
  boolean skipped() {
    return reason != null;
  }
}
