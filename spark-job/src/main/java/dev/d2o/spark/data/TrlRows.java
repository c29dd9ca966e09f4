package dev.d2o.spark.data;

import dev.d2o.chat.Message;
import java.util.List;

/**
 * TRL's preference and unpaired-preference rows (TRL's "Dataset formats" guide) as D²O rows: the
 * prompt and the rejected (or {@code label == false}) completion. Each column is either a string
 * (TRL's standard format) or a list of {@code {role, content}} messages (conversational); a
 * preference row without a {@code prompt} column has an implicit prompt, the common start of {@code
 * chosen} and {@code rejected}, found as TRL's {@code extract_prompt} finds it.
 */
final class TrlRows {
  /**
   * One column's value: text, or messages, or what is wrong with the messages ({@code problem}).
   */
  record Value(String text, List<Message> messages, String problem) {
    boolean isText() {
      return messages == null;
    }
  }

  private TrlRows() {}

  /** A preference row; {@code prompt} is null for an implicit prompt, {@code chosen} may be. */
  static Converted preference(Value prompt, Value chosen, Value rejected) {
    String problem = problem(prompt, chosen, rejected);
    if (problem != null) {
      return Converted.skip("trl-preference: " + problem);
    }
    if (prompt != null) {
      return completion("trl-preference", prompt, rejected, "rejected");
    }
    if (isNull(chosen) || isNull(rejected)) {
      return Converted.skip(
          "trl-preference: "
              + (isNull(chosen) ? "chosen" : "rejected")
              + " is null (a row without 'prompt' takes its implicit prompt from both)");
    }
    if (rejected.isText()) {
      int n = sharedStart(chosen.text(), rejected.text());
      if (n == 0) {
        return Converted.skip(
            "trl-preference: chosen and rejected share no start (a row without 'prompt' has an"
                + " implicit prompt: expected both to start with it)");
      }
      return Converted.text(rejected.text().substring(0, n), rejected.text().substring(n));
    }
    List<Message> c = chosen.messages();
    List<Message> r = rejected.messages();
    int n = 0;
    while (n < Math.min(c.size(), r.size()) && c.get(n).equals(r.get(n))) {
      n++;
    }
    if (n == 0) {
      return Converted.skip(
          "trl-preference: chosen and rejected share no first message (a row without 'prompt' has"
              + " an implicit prompt: expected both to start with its messages)");
    }
    return completion(
        "trl-preference",
        new Value(null, r.subList(0, n), null),
        new Value(null, r.subList(n, r.size()), null),
        "rejected");
  }

  /** An unpaired row: only {@code label == false} gives a negative. */
  static Converted unpaired(Value prompt, Value completion, Boolean label) {
    String problem = problem(prompt, completion);
    if (problem != null) {
      return Converted.skip("trl-unpaired: " + problem);
    }
    if (label == null) {
      return Converted.skip("trl-unpaired: label is null (expected true or false)");
    }
    if (label) {
      return Converted.skip(
          "trl-unpaired: label true (a desirable completion; D²O trains on the undesirable ones,"
              + " label false)");
    }
    return completion("trl-unpaired", prompt, completion, "completion");
  }

  /**
   * TRL's implicit prompt of two texts: their common start; when they part right after a space, the
   * space goes with the completions.
   */
  static int sharedStart(String a, String b) {
    int n = 0;
    while (n < Math.min(a.length(), b.length()) && a.charAt(n) == b.charAt(n)) {
      n++;
    }
    if (n > 0 && a.charAt(n - 1) == ' ') {
      n--;
    }
    return n;
  }

  /** The row of {@code prompt} and the completion {@code negative} (one assistant message). */
  private static Converted completion(
      String preset, Value prompt, Value negative, String negativeColumn) {
    if (isNull(prompt) || isNull(negative)) {
      return Converted.skip(
          preset + ": " + (isNull(prompt) ? "prompt" : negativeColumn) + " is null");
    }
    if (prompt.isText()) {
      return Converted.text(prompt.text(), negative.text());
    }
    List<Message> p = prompt.messages();
    if (p.isEmpty() || !p.get(p.size() - 1).role().equals("user")) {
      return Converted.skip(
          preset
              + ": the prompt "
              + (p.isEmpty()
                  ? "has no messages"
                  : "ends with the role '" + p.get(p.size() - 1).role() + "'")
              + " (expected it to end with a user turn)");
    }
    List<Message> n = negative.messages();
    if (n.size() != 1 || !n.get(0).role().equals("assistant")) {
      return Converted.skip(
          preset
              + ": "
              + negativeColumn
              + " has "
              + n.size()
              + " message(s) "
              + n.stream().map(Message::role).toList()
              + " (expected one assistant message)");
    }
    return Converted.conversation(List.copyOf(p), n.get(0).content());
  }

  private static boolean isNull(Value v) {
    return v.text() == null && v.messages() == null;
  }

  private static String problem(Value... values) {
    for (Value v : values) {
      if (v != null && v.problem() != null) {
        return v.problem();
      }
    }
    return null;
  }
}
