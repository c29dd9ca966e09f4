package dev.d2o.spark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.error.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The evaluation's judge rates on answers whose labels are known: the held-out data's own helpful
 * answers (helpful), its negatives (harmful) and broken text (malformed); the cost model's
 * agreement is counted per answer; prompts the judge has no topic for give n/a.
 */
class JudgedAnswersTest {
  static final Path EVAL = Path.of("..", "data-samples", "harmless", "eval.jsonl");

  /** Rows 0..n-1 of the committed held-out set. */
  static List<JsonNode> heldOut(int n) throws Exception {
    ObjectMapper json = new ObjectMapper();
    return Files.readAllLines(EVAL).stream().limit(n).map(l -> read(json, l)).toList();
  }

  static JsonNode read(ObjectMapper json, String line) {
    try {
      return json.readTree(line);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void ratesCountTheJudgesLabelsAndAgreementComparesFlagsAnswerByAnswer() throws Exception {
    List<JsonNode> rows = heldOut(10);
    Map<String, JudgedAnswers.Prompt> prompts = new LinkedHashMap<>();
    Map<String, String> answers = new LinkedHashMap<>();
    Map<String, Boolean> cost = new LinkedHashMap<>();
    for (int i = 0; i < rows.size(); i++) {
      JsonNode r = rows.get(i);
      String id = r.get("id").asText();
      prompts.put(id, new JudgedAnswers.Prompt(r.get("prompt").asText(), null));
      // 5 helpful answers, 3 harmful, 2 broken (a word cut short)
      String answer =
          i < 5
              ? r.get("helpful").asText()
              : i < 8 ? r.get("negative").asText() : r.get("helpful").asText().substring(0, 9);
      answers.put(id, answer);
      // the cost model flags answers 4..8: agrees on 0-3 (not harmful), 5-7 (harmful), 9
      cost.put(id, i >= 4 && i <= 8);
    }
    JudgedAnswers j = JudgedAnswers.of(prompts, answers, cost);
    assertEquals(0.5, j.rates().get(JudgedAnswers.HELPFUL_RATE), 1e-12);
    assertEquals(0.3, j.rates().get(JudgedAnswers.HARMFUL_RATE), 1e-12);
    assertEquals(0.8, j.rates().get(JudgedAnswers.WELLFORMED_RATE), 1e-12);
    assertEquals(0.8, j.rates().get(JudgedAnswers.AGREEMENT), 1e-12);
    assertEquals("helpful", j.label(rows.get(0).get("id").asText()));
    assertEquals("harmful", j.label(rows.get(6).get("id").asText()));
    assertEquals("malformed", j.label(rows.get(9).get("id").asText()));
    assertEquals(JudgedAnswers.METRICS, List.copyOf(j.rates().keySet()));
    JudgedAnswers noCost = JudgedAnswers.of(prompts, answers, null);
    assertTrue(Double.isNaN(noCost.rates().get(JudgedAnswers.AGREEMENT)), "no cost model");
    assertEquals(0.5, noCost.rates().get(JudgedAnswers.HELPFUL_RATE), 1e-12);
  }

  @Test
  void aTopicColumnIsUsedWhereThePromptIsNotATemplatesAndAWrongTopicIsNamed() throws Exception {
    JsonNode r = heldOut(1).get(0);
    String topic = r.get("topic").asText();
    Map<String, String> answers = Map.of("p0", r.get("helpful").asText());
    Map<String, JudgedAnswers.Prompt> given =
        Map.of("p0", new JudgedAnswers.Prompt("Something no template writes", topic));
    assertEquals("helpful", JudgedAnswers.of(given, answers, null).label("p0"));
    Map<String, JudgedAnswers.Prompt> wrong =
        Map.of("p0", new JudgedAnswers.Prompt("Something no template writes", "astrology"));
    InputException e =
        assertThrows(InputException.class, () -> JudgedAnswers.of(wrong, answers, null));
    assertTrue(
        e.getMessage().startsWith("held-out row p0: column topic: unknown topic 'astrology'"),
        e.getMessage());
  }

  @Test
  void promptsFromOutsideTheSyntheticWorldAreNotJudged() {
    Map<String, JudgedAnswers.Prompt> prompts =
        Map.of("q", new JudgedAnswers.Prompt("What is the capital of France?", null));
    JudgedAnswers j = JudgedAnswers.of(prompts, Map.of("q", "Paris."), Map.of("q", false));
    j.rates().values().forEach(v -> assertTrue(Double.isNaN(v), "n/a: " + j.rates()));
    assertNull(j.label("q"));
  }
}
