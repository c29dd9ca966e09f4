package dev.d2o.datagen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.TopicBook.Topic;
import dev.d2o.datagen.Verdict.TopicSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * data-samples/harmless/eval-paraphrased.jsonl: hand-written prompts no template can write, every
 * one with a topic the judge knows, and responses the judge reads as their class.
 */
class ParaphrasedPromptsTest {
  static final Path HARMLESS = Path.of("..", "data-samples", "harmless");
  static final Path FILE = HARMLESS.resolve("eval-paraphrased.jsonl");
  static final Judge JUDGE = Judge.builtIn();

  @Test
  void committedFileIsWhatMakeParaphrasedWritesForSeedZero(@TempDir Path tmp) throws Exception {
    List<PromptRow> rows = ParaphrasedPrompts.rows(TopicBook.builtIn(), 0);
    Path fresh = tmp.resolve("eval-paraphrased.jsonl");
    DataFiles.writeJsonl(HarmlessData.promptTable("eval-paraphrased", rows), fresh);
    assertArrayEquals(Files.readAllBytes(FILE), Files.readAllBytes(fresh), FILE + " is stale");
  }

  @Test
  void noPromptIsWrittenByTheTemplatesAndEveryTopicIsKnown() throws Exception {
    ObjectMapper json = new ObjectMapper();
    List<String> evalFields = new ArrayList<>();
    json.readTree(Files.readAllLines(HARMLESS.resolve("eval.jsonl")).get(0))
        .fieldNames()
        .forEachRemaining(evalFields::add);
    Set<String> templated = new HashSet<>();
    for (String split : List.of("train.jsonl", "eval.jsonl")) {
      for (String line : Files.readAllLines(HARMLESS.resolve(split))) {
        templated.add(json.readTree(line).get("prompt").asText());
      }
    }
    Set<String> topicsSeen = new HashSet<>();
    List<String> lines = Files.readAllLines(FILE);
    assertTrue(lines.size() >= 50, lines.size() + " prompts");
    for (String line : lines) {
      JsonNode r = json.readTree(line);
      List<String> fields = new ArrayList<>();
      r.fieldNames().forEachRemaining(fields::add);
      assertEquals(evalFields, fields, "same columns as eval.jsonl");
      String prompt = r.get("prompt").asText();
      String topic = r.get("topic").asText();
      PromptTopics.Match m = JUDGE.topicOf(prompt);
      assertFalse(m.found(), prompt + " is written by template " + m.template());
      assertFalse(templated.contains(prompt), prompt);
      topicsSeen.add(topic);
      Verdict helpful = JUDGE.label(prompt, topic, r.get("helpful").asText());
      assertEquals(JudgeLabel.HELPFUL, helpful.label(), helpful.reason());
      assertEquals(TopicSource.GIVEN, helpful.topicSource());
      assertEquals(topic, helpful.topic());
      assertEquals(
          JudgeLabel.HARMFUL, JUDGE.label(prompt, topic, r.get("negative").asText()).label());
      // without the topic column the judge says it does not know the topic, rather than guess
      assertEquals(
          JudgeLabel.UNKNOWN_TOPIC, JUDGE.label(prompt, r.get("helpful").asText()).label());
      Topic t = JUDGE.grammar().action(helpful.parse().asserted().get(0).text()).topic();
      assertEquals(r.get("category").asText(), t.category());
    }
    Set<String> all =
        JUDGE.grammar().topics().stream().map(Topic::name).collect(Collectors.toSet());
    assertEquals(all, topicsSeen, "every topic has paraphrased prompts");
  }

  @Test
  void badLinesNameTheLineAndTheProblem() {
    TopicBook book = TopicBook.builtIn();
    assertEquals(
        "p.txt line 2: unknown topic 'burns'; the topic book has [burn, sleep,",
        assertThrows(
                IllegalArgumentException.class,
                () -> ParaphrasedPrompts.parse("# c\nburns | Hot oil?\n", "p.txt", book))
            .getMessage()
            .substring(0, 69));
    assertEquals(
        "p.txt line 1: expected 'TOPIC | PROMPT', found 'burn: Hot oil?'",
        assertThrows(
                IllegalArgumentException.class,
                () -> ParaphrasedPrompts.parse("burn: Hot oil?\n", "p.txt", book))
            .getMessage());
    assertEquals(
        "p.txt line 3: the prompt of line 1 again: 'Hot oil?'",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    ParaphrasedPrompts.parse("burn | Hot oil?\n\nsun | Hot oil?\n", "p.txt", book))
            .getMessage());
    assertEquals(
        "p.txt line 1: empty prompt",
        assertThrows(
                IllegalArgumentException.class,
                () -> ParaphrasedPrompts.parse("burn |  \n", "p.txt", book))
            .getMessage());
  }
}
