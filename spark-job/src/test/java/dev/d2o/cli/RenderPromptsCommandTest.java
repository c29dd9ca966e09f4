package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code d2o render-prompts} through the command line, with the published templates. */
class RenderPromptsCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  /** A model directory holding only the published tokenizer_config.json of {@code name}. */
  Path model(String name) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve(name));
    try (InputStream in =
        getClass().getResourceAsStream("/chat-templates/" + name + "/tokenizer_config.json")) {
      Files.copy(in, dir.resolve("tokenizer_config.json"));
    }
    return dir;
  }

  /** The jinja2 rendering of (template, conversation) from model-core's golden file. */
  static String golden(String template, String conversation) throws Exception {
    try (InputStream in =
        RenderPromptsCommandTest.class.getResourceAsStream("/chat-templates/golden.json")) {
      for (JsonNode c : JSON.readTree(in).get("cases")) {
        if (c.get("template").asText().equals(template)
            && c.get("conversation").asText().equals(conversation)) {
          return c.get("expected").asText();
        }
      }
    }
    throw new AssertionError("no golden case " + template + " / " + conversation);
  }

  LogprobsCommandTest.Result run(Path model, String input, String... extra) throws Exception {
    Path in = tmp.resolve("in.jsonl");
    Files.writeString(in, input);
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "render-prompts",
                "--model",
                model.toString(),
                "--input",
                in.toString(),
                "--output",
                tmp.resolve("out.jsonl").toString()));
    args.addAll(List.of(extra));
    return LogprobsCommandTest.run(args.toArray(String[]::new));
  }

  @Test
  void addsPromptTextToPromptAndMessagesRows() throws Exception {
    Path qwen = model("qwen2.5-7b-instruct");
    LogprobsCommandTest.Result r =
        run(
            qwen,
            """
            {"id": 1, "prompt": "What is the capital of France?", "negative": "kept"}
            {"id": 2, "messages": [{"role": "system", "content": "You are a careful assistant. Answer briefly."}, {"role": "user", "content": "Name three prime numbers."}]}
            """);
    assertEquals(0, r.rc(), r.err());
    List<String> lines = Files.readAllLines(tmp.resolve("out.jsonl"));
    assertEquals(2, lines.size());
    JsonNode a = JSON.readTree(lines.get(0));
    assertEquals(golden("qwen2.5-7b-instruct", "one-turn"), a.get("prompt_text").asText());
    assertEquals("kept", a.get("negative").asText(), "input fields are repeated");
    assertEquals(
        golden("qwen2.5-7b-instruct", "system"),
        JSON.readTree(lines.get(1)).get("prompt_text").asText());
  }

  @Test
  void badRowsFailNamingTheLine() throws Exception {
    Path gemma = model("gemma-2-it");
    Path in = tmp.resolve("in.jsonl");
    LogprobsCommandTest.Result r =
        run(
            gemma,
            "{\"prompt\": \"ok\"}\n{\"id\": \"x\", \"messages\": [{\"role\": \"robot\", \"content\": \"hi\"}]}\n");
    assertEquals(1, r.rc());
    assertTrue(
        r.err()
            .contains(
                in
                    + " line 2 (id \"x\"): messages[0] has role 'robot'; allowed roles are"
                    + " [system, user, assistant]"),
        r.err());
    assertFalse(Files.exists(tmp.resolve("out.jsonl")), "nothing written on error");

    r = run(gemma, "{\"text\": \"no prompt\"}\n");
    assertTrue(
        r.err()
            .contains(
                in
                    + " line 1: expected a 'prompt' string or a 'messages' list; found fields [text]"),
        r.err());

    r = run(gemma, "{\"messages\": [{\"role\": \"user\"}]}\n");
    assertTrue(
        r.err()
            .contains(
                in
                    + " line 1: messages[0] must be {\"role\": string, \"content\": string}, found {\"role\":\"user\"}"),
        r.err());

    r =
        run(
            gemma,
            "{\"prompt\": \"a\"}\n{\"messages\": [{\"role\": \"system\", \"content\": \"s\"}, {\"role\": \"user\", \"content\": \"u\"}]}\n");
    assertTrue(
        r.err()
            .contains(
                in
                    + " line 2: chat template "
                    + gemma.resolve("tokenizer_config.json")
                    + " raised an exception: System role not supported"),
        r.err());
  }

  @Test
  void rawFormatPassesPromptsThroughAndChatNeedsATemplate() throws Exception {
    Path base = Files.createDirectories(tmp.resolve("base"));
    LogprobsCommandTest.Result r = run(base, "{\"prompt\": \"as is\"}\n");
    assertEquals(0, r.rc(), r.err());
    assertEquals(
        "as is",
        JSON.readTree(Files.readAllLines(tmp.resolve("out.jsonl")).get(0))
            .get("prompt_text")
            .asText());
    r = run(base, "{\"prompt\": \"as is\"}\n", "--format", "chat");
    assertEquals(1, r.rc());
    assertTrue(r.err().contains("prompt format 'chat' needs a chat template"), r.err());
    r = run(base, "{\"prompt\": \"x\"}\n", "--format", "jinja");
    assertTrue(
        r.err().contains("--format: prompt format 'jinja' is not one of [auto, chat, raw]"),
        r.err());
  }
}
