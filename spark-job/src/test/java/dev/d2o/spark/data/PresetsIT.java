package dev.d2o.spark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.chat.Message;
import dev.d2o.error.InputException;
import dev.d2o.spark.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each data.preset through InputData on the sample files of data-samples/formats (written from the
 * data sets' documented schemas), the column mapping, and the errors and rejects of bad input.
 */
class PresetsIT extends SparkTestBase {
  static final Path FORMATS = Path.of("..", "data-samples", "formats").toAbsolutePath().normalize();

  @TempDir Path tmp;

  private InputData.Loaded load(String file, String preset) {
    return load(FORMATS.resolve(file).toString(), InputOptions.format("auto").withPreset(preset));
  }

  private InputData.Loaded load(String location, InputOptions opts) {
    return InputData.load(spark, location, tmp.resolve("rejects").toString(), opts);
  }

  private static Map<String, Row> byId(InputData.Loaded l) {
    Map<String, Row> out = new java.util.TreeMap<>();
    l.valid().collectAsList().forEach(r -> out.put(r.getString(0), r));
    return out;
  }

  @Test
  void pkuSafeRlhfGivesOneRowPerUnsafeResponseAndCountsTheSafeRows() throws Exception {
    InputData.Loaded l = load("pku-saferlhf.jsonl", "pku-saferlhf");
    assertEquals(4, l.sourceRows());
    assertEquals(5, l.total(), "4 negatives and 1 skipped row");
    assertEquals(
        Map.of("pku-saferlhf: no unsafe response (both are labelled safe)", 1L), l.rejected());
    Map<String, Row> rows = byId(l);
    assertEquals(
        List.of("row-0/response_1", "row-2/response_0", "row-2/response_1", "row-3/response_0"),
        List.copyOf(rows.keySet()));
    Row r = rows.get("row-0/response_1");
    assertEquals("How can I get onto my neighbour's wifi without asking them?", r.getString(1));
    assertTrue(r.getString(2).startsWith("Look for the default password"));
    assertEquals(List.of("id", "prompt", "negative"), List.of(l.valid().columns()));
    Row skipped = spark.read().json(tmp.resolve("rejects").toString()).collectAsList().get(0);
    assertEquals("row-1", skipped.getAs("id"), "the rejects name the input row");
    assertEquals(
        "pku-saferlhf: no unsafe response (both are labelled safe)", skipped.getAs("_reason"));
  }

  @Test
  void hhRlhfGivesTheSharedTurnsAsAConversationAndTheRejectedLastAnswer() {
    InputData.Loaded l = load("hh-rlhf.jsonl", "hh-rlhf");
    assertEquals(Map.of(), l.rejected());
    Map<String, Row> rows = byId(l);
    Row multi = rows.get("row-1");
    assertEquals(
        List.of(
            Message.user("I want to get back at my brother."),
            Message.assistant("What happened between you two?"),
            Message.user("He read my diary.")),
        Conversations.get(multi, Conversations.COLUMN));
    assertEquals("Read his messages and post the embarrassing ones online.", multi.getString(2));
    assertTrue(multi.getString(1).startsWith("Human: I want to get back at my brother.\n\n"));
    assertEquals(Conversations.TYPE, l.valid().schema().apply(Conversations.COLUMN).dataType());
  }

  @Test
  void trlPreferenceInEachOfItsFormats() {
    Map<String, Row> standard = byId(load("trl-preference.jsonl", "trl-preference"));
    assertEquals(
        "The safest way to store cleaning products is", standard.get("row-0").getString(1));
    assertEquals(
        " mixed together in one bottle to save space.", standard.get("row-0").getString(2));
    Map<String, Row> implicit = byId(load("trl-preference-implicit.jsonl", "trl-preference"));
    assertEquals("When a pan of oil catches fire you should", implicit.get("row-1").getString(1));
    assertEquals(" throw water on it.", implicit.get("row-1").getString(2));
    Map<String, Row> conv = byId(load("trl-preference-conversational.jsonl", "trl-preference"));
    assertEquals(
        List.of(
            Message.system("You are a careful assistant."),
            Message.user("My pan of oil is on fire."),
            Message.assistant("Is anyone hurt?"),
            Message.user("No. What do I do?")),
        Conversations.get(conv.get("row-1"), Conversations.COLUMN));
    assertEquals("Throw a glass of water on it.", conv.get("row-1").getString(2));
    Map<String, Row> convImplicit =
        byId(load("trl-preference-conversational-implicit.jsonl", "trl-preference"));
    assertEquals(
        List.of(Message.user("How should I store cleaning products?")),
        Conversations.get(convImplicit.get("row-0"), Conversations.COLUMN));
    assertEquals("Mix them in one bottle to save space.", convImplicit.get("row-0").getString(2));
  }

  @Test
  void trlUnpairedKeepsTheRowsLabelledFalse() {
    InputData.Loaded l = load("trl-unpaired.jsonl", "trl-unpaired");
    String reason =
        "trl-unpaired: label true (a desirable completion; D²O trains on the undesirable ones,"
            + " label false)";
    assertEquals(Map.of(reason, 1L), l.rejected());
    assertEquals(List.of("row-1", "row-2"), List.copyOf(byId(l).keySet()));
    InputData.Loaded conv = load("trl-unpaired-conversational.jsonl", "trl-unpaired");
    assertEquals(Map.of(reason, 1L), conv.rejected());
    Row r = byId(conv).get("row-0");
    assertEquals("Mix them in one bottle to save space.", r.getString(2));
    assertEquals(
        List.of(Message.user("How should I store cleaning products?")),
        Conversations.get(r, Conversations.COLUMN));
  }

  @Test
  void columnMappingNamesThePromptNegativeAndIdColumns() {
    InputData.Loaded l =
        load(
            FORMATS.resolve("columns.jsonl").toString(),
            new InputOptions("auto", "none", "question", "bad_answer", "question_id"));
    Map<String, Row> rows = byId(l);
    assertEquals(List.of("c1", "c2"), List.copyOf(rows.keySet()));
    assertEquals("What do I do when oil catches fire?", rows.get("c2").getString(1));
    assertEquals("Throw water on it.", rows.get("c2").getString(2));
    InputException e =
        assertThrows(
            InputException.class,
            () ->
                load(
                    FORMATS.resolve("columns.jsonl").toString(),
                    new InputOptions("auto", "none", "prompt", "bad_answer", "id")));
    assertEquals(
        "input "
            + FORMATS.resolve("columns.jsonl")
            + " has no 'prompt' column; found schema:"
            + " struct<negative:string,good_answer:string,question:string,question_id:string>",
        e.getMessage(),
        "the negative was renamed; the prompt column is still the default, which is absent");
    InputException missing =
        assertThrows(
            InputException.class,
            () ->
                load(
                    FORMATS.resolve("columns.jsonl").toString(),
                    new InputOptions("auto", "none", "query", "", "id")));
    assertTrue(
        missing
            .getMessage()
            .startsWith(
                "input "
                    + FORMATS.resolve("columns.jsonl")
                    + " has no 'query' column (data.columns.prompt = query); found schema: struct<"),
        missing.getMessage());
  }

  @Test
  void aPresetWhoseColumnsAreMissingOrMixedIsAnError() throws Exception {
    String hh = FORMATS.resolve("hh-rlhf.jsonl").toString();
    InputException e =
        assertThrows(
            InputException.class,
            () -> load(hh, InputOptions.format("auto").withPreset("pku-saferlhf")));
    assertEquals(
        "input "
            + hh
            + " (data.preset = pku-saferlhf) has no column 'prompt', 'response_0', 'response_1',"
            + " 'is_response_0_safe', 'is_response_1_safe'; the preset reads prompt, response_0,"
            + " response_1, is_response_0_safe, is_response_1_safe; found schema:"
            + " struct<chosen:string,rejected:string>",
        e.getMessage());
    Path mixed = tmp.resolve("mixed.jsonl");
    Files.writeString(
        mixed,
        "{\"prompt\": \"p\", \"rejected\": [{\"role\": \"assistant\", \"content\": \"n\"}]}\n");
    InputException m =
        assertThrows(
            InputException.class,
            () -> load(mixed.toString(), InputOptions.format("auto").withPreset("trl-preference")));
    assertEquals(
        "input "
            + mixed
            + " (data.preset = trl-preference): columns [prompt, rejected] mix strings and message"
            + " lists (found struct<prompt:string,rejected:array<struct<content:string,role:string>>>);"
            + " expected all strings (TRL's standard format) or all lists of {role, content}"
            + " (conversational)",
        m.getMessage());
    Path flag = tmp.resolve("flag.jsonl");
    Files.writeString(flag, "{\"prompt\": \"p\", \"completion\": \"c\", \"label\": \"no\"}\n");
    assertEquals(
        "input "
            + flag
            + " (data.preset = trl-unpaired): column 'label' has type string; expected boolean",
        assertThrows(
                InputException.class,
                () -> load(flag.toString(), InputOptions.format("auto").withPreset("trl-unpaired")))
            .getMessage());
  }

  @Test
  void badRowsAreRejectedWithWhatWasExpected() throws Exception {
    Path roles = tmp.resolve("roles.jsonl");
    Files.writeString(
        roles,
        """
        {"prompt": [{"role": "user", "content": "Hi"}], "rejected": [{"role": "assistant", "content": "Bad"}]}
        {"prompt": [{"role": "bot", "content": "Hi"}], "rejected": [{"role": "assistant", "content": "Bad"}]}
        {"prompt": [{"role": "user", "content": "Hi"}], "rejected": [{"role": "user", "content": "Bad"}]}
        """);
    InputData.Loaded l =
        load(roles.toString(), InputOptions.format("auto").withPreset("trl-preference"));
    assertEquals(
        Map.of(
            "trl-preference: prompt[0] has the unknown role 'bot' (expected one of [system, user,"
                + " assistant])",
            1L,
            "trl-preference: rejected has 1 message(s) [user] (expected one assistant message)",
            1L),
        l.rejected());
    assertEquals(List.of("row-0"), List.copyOf(byId(l).keySet()));
    Path hh = tmp.resolve("hh.jsonl");
    Files.writeString(
        hh,
        """
        {"chosen": "\\n\\nHuman: a\\n\\nAssistant: b", "rejected": "\\n\\nHuman: a\\n\\nAssistant: c"}
        {"chosen": "\\n\\nHuman: only a question", "rejected": "\\n\\nHuman: only a question"}
        """);
    InputData.Loaded h = load(hh.toString(), InputOptions.format("auto").withPreset("hh-rlhf"));
    assertEquals(
        Map.of(
            "hh-rlhf: rejected has no '\\n\\nAssistant:' turn (expected a transcript"
                + " '\\n\\nHuman: ...\\n\\nAssistant: ...')",
            1L),
        h.rejected());
    assertNull(Conversations.get(byId(h).get("row-0"), "no-such-column"));
  }
}
