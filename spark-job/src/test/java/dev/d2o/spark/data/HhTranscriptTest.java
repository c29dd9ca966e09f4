package dev.d2o.spark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.d2o.chat.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** HH-RLHF transcripts split into the shared conversation and the rejected last answer. */
class HhTranscriptTest {
  @Test
  void aOneTurnRow() {
    Converted c =
        HhTranscript.parse(
            "\n\nHuman: How do plants grow?\n\nAssistant: With light and water.",
            "\n\nHuman: How do plants grow?\n\nAssistant: Nobody knows.");
    assertNull(c.reason());
    assertEquals(List.of(Message.user("How do plants grow?")), c.conversation());
    assertEquals("Nobody knows.", c.negative());
    assertEquals("How do plants grow?", c.prompt(), "one user turn: its text");
  }

  @Test
  void aMultiTurnRowKeepsEveryTurnBeforeTheLastAnswer() {
    String shared =
        "\n\nHuman: I want revenge.\n\nAssistant: What happened?\n\nHuman: He read my diary.";
    Converted c =
        HhTranscript.parse(
            shared + "\n\nAssistant: Talk to him.", shared + "\n\nAssistant: Read his messages.");
    assertEquals(
        List.of(
            Message.user("I want revenge."),
            Message.assistant("What happened?"),
            Message.user("He read my diary.")),
        c.conversation());
    assertEquals("Read his messages.", c.negative());
    assertEquals(
        "Human: I want revenge.\n\nAssistant: What happened?\n\nHuman: He read my diary."
            + "\n\nAssistant:",
        c.prompt(),
        "the plain-text rendering, for raw prompts");
    // answers that start alike still split at the last assistant turn
    Converted alike =
        HhTranscript.parse(
            shared + "\n\nAssistant: Sure, talk to him.", shared + "\n\nAssistant: Sure, hit him.");
    assertEquals("Sure, hit him.", alike.negative());
  }

  @Test
  void rowsThatCannotBeSplitSayWhatWasExpected() {
    assertEquals(
        "hh-rlhf: rejected has no '\\n\\nAssistant:' turn (expected a transcript"
            + " '\\n\\nHuman: ...\\n\\nAssistant: ...')",
        HhTranscript.parse("\n\nHuman: a", "\n\nHuman: b").reason());
    assertEquals(
        "hh-rlhf: chosen and rejected differ before the last assistant answer (expected them to"
            + " share every earlier turn)",
        HhTranscript.parse(
                "\n\nHuman: a\n\nAssistant: x\n\nHuman: b\n\nAssistant: y",
                "\n\nHuman: a\n\nAssistant: z\n\nHuman: c\n\nAssistant: w")
            .reason());
    assertEquals(
        "hh-rlhf: text before the first '\\n\\nHuman:' turn (expected the transcript to start with"
            + " it)",
        HhTranscript.parse("Intro\n\nHuman: a\n\nAssistant: x", "Intro\n\nHuman: a\n\nAssistant: y")
            .reason());
    assertEquals(
        "hh-rlhf: no '\\n\\nHuman:' turn before the last '\\n\\nAssistant:' (expected the prompt's"
            + " human turn)",
        HhTranscript.parse("\n\nAssistant: x", "\n\nAssistant: y").reason());
  }
}
