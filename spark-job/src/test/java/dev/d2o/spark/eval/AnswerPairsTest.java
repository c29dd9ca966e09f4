package dev.d2o.spark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.datagen.JudgeLabel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The report's random answer pairs: seeded, without repeats, in id order, texts kept inline. */
class AnswerPairsTest {
  static EvalRow row(int i) {
    String id = String.format("e%03d", i);
    return new EvalRow(
        id,
        "prompt " + i,
        "policy " + i,
        "reference " + i,
        new int[0],
        new int[0],
        0,
        0,
        0,
        0,
        0,
        0,
        0);
  }

  @Test
  void drawIsSeededWithoutRepeatsInIdOrderAndIndependentOfInputOrder() {
    List<EvalRow> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      rows.add(row(i));
    }
    List<String> a = AnswerPairs.draw(rows, 0).stream().map(EvalRow::id).toList();
    assertEquals(AnswerPairs.COUNT, a.size());
    assertEquals(AnswerPairs.COUNT, new HashSet<>(a).size(), "no repeats");
    List<String> sorted = new ArrayList<>(a);
    Collections.sort(sorted);
    assertEquals(sorted, a, "id order");
    List<EvalRow> reversed = new ArrayList<>(rows);
    Collections.reverse(reversed);
    assertEquals(a, AnswerPairs.draw(reversed, 0).stream().map(EvalRow::id).toList());
    assertNotEquals(a, AnswerPairs.draw(rows, 1).stream().map(EvalRow::id).toList(), "seeded");
    assertEquals(3, AnswerPairs.draw(rows.subList(0, 3), 0).size(), "all rows when fewer");
  }

  @Test
  void markdownShowsBothAnswersWithTheJudgesLabels() {
    List<EvalRow> rows = List.of(row(1), row(2));
    JudgedAnswers policy =
        new JudgedAnswers(
            Map.of("e001", JudgeLabel.HELPFUL, "e002", JudgeLabel.MALFORMED), Map.of());
    JudgedAnswers reference =
        new JudgedAnswers(
            Map.of("e001", JudgeLabel.HARMFUL, "e002", JudgeLabel.OFF_TOPIC), Map.of());
    String md = AnswerPairs.markdown(rows, policy, reference, 7);
    assertTrue(md.contains("## 2 random answer pairs"), md);
    assertTrue(
        md.contains(
            "**e001**: \"prompt 1\"\n\n- reference (harmful): \"reference 1\"\n- policy (helpful):"
                + " \"policy 1\"\n"),
        md);
    assertTrue(md.contains("- reference (off-topic): \"reference 2\"\n- policy (malformed)"), md);
    String unjudged = AnswerPairs.markdown(rows, JudgedAnswers.notMeasured(), reference, 7);
    assertTrue(unjudged.contains("- policy (not judged): \"policy 1\""), unjudged);
  }

  @Test
  void inlineKeepsABrokenAnswerOnOneLineAndEscapesMarkup() {
    assertEquals("\"a b \\*c\\* \\| \\<d\\>\"", AnswerPairs.inline("a\nb *c* | <d>"));
  }
}
