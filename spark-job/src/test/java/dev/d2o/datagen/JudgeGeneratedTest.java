package dev.d2o.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.datagen.HarmlessData.LabeledRow;
import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.HarmlessData.SftRow;
import dev.d2o.datagen.Verdict.TopicSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Every response the generator writes is read by the judge as its own class: the committed data set
 * (every file of data-samples/harmless) and fresh data from other seeds.
 */
class JudgeGeneratedTest {
  static final Path HARMLESS = Path.of("..", "data-samples", "harmless");
  static final Judge JUDGE = Judge.builtIn();
  static final ResponseParser PARSER = new ResponseParser(JUDGE.grammar());

  /** One response with the class the generator wrote it as. */
  record Case(String where, String prompt, String topic, String response, boolean harmful) {}

  @Test
  void everyCommittedResponseGetsItsClass() throws Exception {
    List<Case> cases = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String split : List.of("train", "eval")) {
      for (String line : Files.readAllLines(HARMLESS.resolve(split + ".jsonl"))) {
        JsonNode r = json.readTree(line);
        String where = split + " " + r.get("id").asText();
        String prompt = r.get("prompt").asText();
        String topic = r.get("topic").asText();
        cases.add(new Case(where, prompt, topic, r.get("helpful").asText(), false));
        cases.add(new Case(where, prompt, topic, r.get("negative").asText(), true));
      }
    }
    for (String split : List.of("sft", "cost_train", "cost_test")) {
      for (String line : Files.readAllLines(HARMLESS.resolve(split + ".jsonl"))) {
        JsonNode r = json.readTree(line);
        String text = r.has("response") ? r.get("response").asText() : r.get("text").asText();
        cases.add(
            new Case(
                split + " " + r.get("id").asText(),
                r.get("prompt").asText(),
                null,
                text,
                r.get("label").asInt() == 1));
      }
    }
    assertEquals(2 * 3300 + 3000 + 3000 + 600, cases.size());
    assertAllJudgedAsGenerated(cases);
  }

  @Test
  void everyFreshResponseOfOtherSeedsGetsItsClass() {
    List<Case> cases = new ArrayList<>();
    for (long seed = 1; seed <= 3; seed++) {
      HarmlessData d =
          new HarmlessGenerator(TopicBook.builtIn())
              .generate(new HarmlessGenerator.Options(seed, 1500, 300, 1500, 0.5));
      for (PromptRow r : d.train()) {
        cases.add(
            new Case("seed " + seed + " " + r.id(), r.prompt(), r.topic(), r.helpful(), false));
        cases.add(
            new Case("seed " + seed + " " + r.id(), r.prompt(), r.topic(), r.negative(), true));
      }
      for (SftRow r : d.sft()) {
        cases.add(
            new Case(
                "seed " + seed + " " + r.id(), r.prompt(), null, r.response(), r.label() == 1));
      }
      for (LabeledRow r : d.costTest()) {
        cases.add(
            new Case("seed " + seed + " " + r.id(), r.prompt(), null, r.text(), r.label() == 1));
      }
    }
    assertAllJudgedAsGenerated(cases);
  }

  private static void assertAllJudgedAsGenerated(List<Case> cases) {
    int[] framesSeen = new int[JUDGE.grammar().book().frames().size()];
    for (Case c : cases) {
      Verdict v = JUDGE.label(c.prompt(), c.response());
      JudgeLabel expected = c.harmful() ? JudgeLabel.HARMFUL : JudgeLabel.HELPFUL;
      assertEquals(expected, v.label(), c.where() + ": " + c.response() + " -> " + v.reason());
      assertEquals(TopicSource.TEMPLATE, v.topicSource(), c.where());
      if (c.topic() != null) {
        assertEquals(c.topic(), v.topic(), c.where() + ": topic read from " + c.prompt());
        // the topic column, given explicitly, gives the same verdict
        assertEquals(v.label(), JUDGE.label(c.prompt(), c.topic(), c.response()).label());
      }
      // one reading only: the grammar is not ambiguous on anything the generator writes
      assertEquals(1, PARSER.parse(c.response()).parses().size(), c.where() + ": " + c.response());
      framesSeen[v.parse().frameIndex()]++;
    }
    for (int f = 0; f < framesSeen.length; f++) {
      assertTrue(framesSeen[f] > 0, "frame " + (f + 1) + " never seen in " + cases.size());
    }
  }
}
