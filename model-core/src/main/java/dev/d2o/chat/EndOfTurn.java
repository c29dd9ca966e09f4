package dev.d2o.chat;

import java.util.List;

/**
 * What a template writes around an assistant turn, found by rendering: the generation prompt P of a
 * one-turn conversation, and F, the same conversation closed by an assistant turn whose content is
 * a sentinel. The end of turn is what follows the sentinel in F (trailing whitespace removed); the
 * assistant prefix is what lies between P and the sentinel when F starts with P.
 */
record EndOfTurn(String endOfTurn, String assistantPrefix) {
  // No whitespace at either end: templates trim the content.
  private static final String PROMPT = "d2oEndOfTurnProbeQuestion";
  private static final String ANSWER = "d2oEndOfTurnProbeAnswer";

  static EndOfTurn derive(ChatTemplate t) {
    String prompt;
    String full;
    try {
      prompt = t.render(List.of(Message.user(PROMPT)), true);
      full = t.render(List.of(Message.user(PROMPT), Message.assistant(ANSWER)), false);
    } catch (ChatTemplateException e) {
      throw new ChatTemplateException(
          "cannot derive the end-of-turn text from a one-turn conversation: " + e.getMessage(), e);
    }
    int at = full.lastIndexOf(ANSWER);
    if (at < 0) {
      throw new ChatTemplateException(
          "chat template "
              + t.source()
              + " does not write the assistant's content: cannot find its end-of-turn text");
    }
    String end = PyStrings.strip(full.substring(at + ANSWER.length()), null, false, true);
    String prefix =
        full.startsWith(prompt) && at >= prompt.length() ? full.substring(prompt.length(), at) : "";
    return new EndOfTurn(end, prefix);
  }
}
