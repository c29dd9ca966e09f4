package dev.d2o.spark.data;

import dev.d2o.chat.Message;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Anthropic HH-RLHF's transcripts ({@code "\n\nHuman: ...\n\nAssistant: ..."}): a row's {@code
 * chosen} and {@code rejected} share every turn but the last assistant answer. The shared part is
 * the prompt (a conversation ending with a human turn) and the rejected transcript's last assistant
 * answer is the negative. As TRL's {@code hh-rlhf-helpful-base} script does, the prompt is the
 * longest common start of the two transcripts cut back to its last {@code "\n\nAssistant:"}.
 */
final class HhTranscript {
  static final String HUMAN = "\n\nHuman:";
  static final String ASSISTANT = "\n\nAssistant:";
  private static final Pattern TURN = Pattern.compile("\n\n(Human|Assistant):");

  private HhTranscript() {}

  private static Converted skip(String reason) {
    return Converted.skip("hh-rlhf: " + reason);
  }

  /** Splits one row's transcripts. */
  static Converted parse(String chosen, String rejected) {
    int common = 0;
    int n = Math.min(chosen.length(), rejected.length());
    while (common < n && chosen.charAt(common) == rejected.charAt(common)) {
      common++;
    }
    int cut = rejected.substring(0, common).lastIndexOf(ASSISTANT);
    if (cut < 0) {
      return skip(
          rejected.contains(ASSISTANT)
              ? "chosen and rejected share no '\\n\\nAssistant:' turn (expected the same"
                  + " conversation up to the last assistant answer)"
              : "rejected has no '\\n\\nAssistant:' turn (expected a transcript"
                  + " '\\n\\nHuman: ...\\n\\nAssistant: ...')");
    }
    String negative = rejected.substring(cut + ASSISTANT.length()).strip();
    if (negative.contains(HUMAN) || negative.contains(ASSISTANT)) {
      return skip(
          "chosen and rejected differ before the last assistant answer (expected them to share"
              + " every earlier turn)");
    }
    return turns(rejected.substring(0, cut), negative);
  }

  /** The turns of {@code prompt} (a transcript that ends before the last assistant marker). */
  private static Converted turns(String prompt, String negative) {
    Matcher m = TURN.matcher(prompt);
    List<Message> out = new ArrayList<>();
    int end = -1;
    String role = null;
    while (m.find()) {
      if (role == null && !prompt.substring(0, m.start()).isBlank()) {
        return skip(
            "text before the first '\\n\\nHuman:' turn (expected the transcript to start with it)");
      }
      if (role != null) {
        out.add(new Message(role, prompt.substring(end, m.start()).strip()));
      }
      role = m.group(1).equals("Human") ? "user" : "assistant";
      end = m.end();
    }
    if (role == null) {
      return skip(
          "no '\\n\\nHuman:' turn before the last '\\n\\nAssistant:' (expected the prompt's human"
              + " turn)");
    }
    out.add(new Message(role, prompt.substring(end).strip()));
    if (!role.equals("user")) {
      return skip(
          "the turn before the last assistant answer is an assistant turn (expected a human turn)");
    }
    return Converted.conversation(out, negative);
  }
}
