package dev.d2o.spark.eval;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;

/**
 * The report's sample of answers to read: {@value #COUNT} held-out prompts drawn at random (seeded
 * by {@code run.seed}, so a rerun shows the same prompts) with the reference's and the policy's
 * answer and the judge's label of each. Rates say how often; these say what the answers look like.
 */
public final class AnswerPairs {
  /** Pairs shown in {@code report.md}. */
  public static final int COUNT = 10;

  private AnswerPairs() {}

  /** {@code min(COUNT, rows)} rows drawn without replacement with {@code seed}, in id order. */
  static List<EvalRow> draw(List<EvalRow> rows, long seed) {
    List<EvalRow> shuffled = new ArrayList<>(rows);
    shuffled.sort(Comparator.comparing(EvalRow::id)); // the draw must not depend on input order
    Collections.shuffle(shuffled, new Random(seed));
    List<EvalRow> out = new ArrayList<>(shuffled.subList(0, Math.min(COUNT, shuffled.size())));
    out.sort(Comparator.comparing(EvalRow::id));
    return out;
  }

  /** The Markdown section of {@code report.md}. */
  static String markdown(
      List<EvalRow> rows, JudgedAnswers policy, JudgedAnswers reference, long seed) {
    List<EvalRow> drawn = draw(rows, seed);
    StringBuilder sb =
        new StringBuilder("\n## ")
            .append(drawn.size())
            .append(" random answer pairs\n\nDrawn with seed ")
            .append(seed)
            .append(" from the held-out prompts; the label in brackets is the judge's.\n");
    for (EvalRow r : drawn) {
      sb.append("\n**")
          .append(r.id())
          .append("**: ")
          .append(inline(r.prompt()))
          .append("\n\n- reference (")
          .append(label(reference.label(r.id())))
          .append("): ")
          .append(inline(r.referenceText()))
          .append("\n- policy (")
          .append(label(policy.label(r.id())))
          .append("): ")
          .append(inline(r.policyText()))
          .append('\n');
    }
    return sb.toString();
  }

  private static String label(String l) {
    return l == null ? "not judged" : l;
  }

  /**
   * A model's text on one Markdown line: broken answers may hold newlines and Markdown syntax, so
   * line breaks become spaces and the characters Markdown would read as markup are escaped.
   */
  static String inline(String text) {
    String oneLine = text.replace("\r", " ").replace("\n", " ");
    StringBuilder sb = new StringBuilder("\"");
    for (char c : oneLine.toCharArray()) {
      if ("\\`*_[]<>#|".indexOf(c) >= 0) {
        sb.append('\\');
      }
      sb.append(c);
    }
    return sb.append('"').toString();
  }
}
