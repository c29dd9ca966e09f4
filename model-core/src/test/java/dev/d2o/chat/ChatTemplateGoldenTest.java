package dev.d2o.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Renders the published chat templates of Llama-3.1 Instruct, Qwen2.5 Instruct, Mistral Instruct
 * v0.3 and Gemma-2 it (plus the project's feature template) over the conversations of {@code
 * conversations.json} and compares byte for byte with Python's jinja2, configured as transformers
 * configures it (tools/chat-templates/make_golden.py wrote golden.json).
 */
class ChatTemplateGoldenTest {
  static final ObjectMapper JSON = new ObjectMapper();

  static Path resources() throws Exception {
    return Path.of(ChatTemplateGoldenTest.class.getResource("/chat-templates").toURI());
  }

  /** The golden script's fixed "now" (2024-07-26 09:05:03), in the clock's own zone. */
  static Clock fixedClock() {
    return Clock.fixed(
        LocalDateTime.of(2024, 7, 26, 9, 5, 3).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
  }

  @TestFactory
  Stream<DynamicTest> matchesJinja2ByteForByte() throws Exception {
    Path root = resources();
    JsonNode golden = JSON.readTree(root.resolve("golden.json").toFile());
    Map<String, List<Message>> conversations = new HashMap<>();
    for (JsonNode c : JSON.readTree(root.resolve("conversations.json").toFile())) {
      List<Message> msgs = new ArrayList<>();
      c.get("messages")
          .forEach(m -> msgs.add(new Message(m.get("role").asText(), m.get("content").asText())));
      conversations.put(c.get("name").asText(), msgs);
    }
    Map<String, Boolean> genPrompt = new HashMap<>();
    for (JsonNode c : JSON.readTree(root.resolve("conversations.json").toFile())) {
      genPrompt.put(c.get("name").asText(), c.get("add_generation_prompt").asBoolean());
    }
    assertTrue(golden.get("cases").size() >= 40, "golden cases: " + golden.get("cases").size());
    List<DynamicTest> tests = new ArrayList<>();
    for (JsonNode c : golden.get("cases")) {
      String name = c.get("template").asText() + " / " + c.get("conversation").asText();
      tests.add(
          DynamicTest.dynamicTest(
              name,
              () -> {
                ChatTemplate t =
                    ChatTemplate.fromModelDir(root.resolve(c.get("template").asText()))
                        .orElseThrow()
                        .withClock(fixedClock());
                List<Message> msgs = conversations.get(c.get("conversation").asText());
                boolean gp = genPrompt.get(c.get("conversation").asText());
                if (c.has("expected")) {
                  assertEquals(c.get("expected").asText(), t.render(msgs, gp));
                } else {
                  ChatTemplateException e =
                      assertThrows(ChatTemplateException.class, () -> t.render(msgs, gp));
                  String error = c.get("error").asText();
                  assertEquals(
                      "chat template " + t.source() + " raised an exception: " + error,
                      e.getMessage());
                }
              }));
    }
    return tests.stream();
  }
}
