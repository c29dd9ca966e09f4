package dev.d2o.spark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.d2o.chat.Message;
import java.util.List;
import org.junit.jupiter.api.Test;

/** TRL's preference and unpaired rows as D²O rows. */
class TrlRowsTest {
  static TrlRows.Value text(String s) {
    return new TrlRows.Value(s, null, null);
  }

  static TrlRows.Value messages(Message... m) {
    return new TrlRows.Value(null, List.of(m), null);
  }

  @Test
  void standardRowsWithAnExplicitOrAnImplicitPrompt() {
    Converted explicit = TrlRows.preference(text("The sky is"), text(" blue."), text(" green."));
    assertEquals("The sky is", explicit.prompt());
    assertEquals(" green.", explicit.negative());
    assertNull(explicit.conversation());
    // implicit: the common start; the space before the parting word goes with the completions
    Converted implicit =
        TrlRows.preference(null, text("The sky is blue."), text("The sky is green."));
    assertEquals("The sky is", implicit.prompt());
    assertEquals(" green.", implicit.negative());
    assertEquals(
        "trl-preference: chosen and rejected share no start (a row without 'prompt' has an"
            + " implicit prompt: expected both to start with it)",
        TrlRows.preference(null, text("Blue."), text("Green.")).reason());
  }

  @Test
  void conversationalRows() {
    Converted c =
        TrlRows.preference(
            messages(Message.system("Be careful."), Message.user("What color is the sky?")),
            messages(Message.assistant("Blue.")),
            messages(Message.assistant("Green.")));
    assertEquals(
        List.of(Message.system("Be careful."), Message.user("What color is the sky?")),
        c.conversation());
    assertEquals("Green.", c.negative());
    assertEquals("System: Be careful.\n\nHuman: What color is the sky?\n\nAssistant:", c.prompt());
    Converted implicit =
        TrlRows.preference(
            null,
            messages(Message.user("Sky?"), Message.assistant("Blue.")),
            messages(Message.user("Sky?"), Message.assistant("Green.")));
    assertEquals(List.of(Message.user("Sky?")), implicit.conversation());
    assertEquals("Green.", implicit.negative());
    assertEquals(
        "trl-preference: rejected has 2 message(s) [assistant, user] (expected one assistant"
            + " message)",
        TrlRows.preference(
                messages(Message.user("Sky?")),
                null,
                messages(Message.assistant("Green."), Message.user("Again")))
            .reason());
    assertEquals(
        "trl-preference: the prompt ends with the role 'assistant' (expected it to end with a"
            + " user turn)",
        TrlRows.preference(
                messages(Message.user("Sky?"), Message.assistant("Hm")),
                null,
                messages(Message.assistant("Green.")))
            .reason());
    assertEquals(
        "trl-preference: prompt[1] has the unknown role 'bot' (expected one of [system, user,"
            + " assistant])",
        TrlRows.preference(
                new TrlRows.Value(
                    null,
                    null,
                    "prompt[1] has the unknown role 'bot' (expected one of [system, user,"
                        + " assistant])"),
                null,
                messages(Message.assistant("x")))
            .reason());
  }

  @Test
  void unpairedRowsGiveTheirUndesirableCompletions() {
    Converted bad = TrlRows.unpaired(text("The sky is"), text(" green."), false);
    assertEquals("The sky is", bad.prompt());
    assertEquals(" green.", bad.negative());
    assertEquals(
        "trl-unpaired: label true (a desirable completion; D²O trains on the undesirable ones,"
            + " label false)",
        TrlRows.unpaired(text("The sky is"), text(" blue."), true).reason());
    assertEquals(
        "trl-unpaired: label is null (expected true or false)",
        TrlRows.unpaired(text("p"), text("c"), null).reason());
    Converted conv =
        TrlRows.unpaired(
            messages(Message.user("Sky?")), messages(Message.assistant("Green.")), false);
    assertEquals(List.of(Message.user("Sky?")), conv.conversation());
    assertEquals("Green.", conv.negative());
    assertEquals(
        "trl-unpaired: completion is null",
        TrlRows.unpaired(text("p"), text(null), false).reason());
  }
}
