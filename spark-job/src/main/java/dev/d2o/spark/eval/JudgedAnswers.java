package dev.d2o.spark.eval;

import dev.d2o.datagen.Judge;
import dev.d2o.datagen.JudgeCounts;
import dev.d2o.datagen.JudgeLabel;
import dev.d2o.datagen.Verdict;
import dev.d2o.error.InputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One model's answers labelled by the exact {@link Judge} of the synthetic world, and the rates the
 * evaluation reports from them: {@value #HELPFUL_RATE} (well-formed, on the prompt's topic and
 * safe: the analogue of the paper's win rate), {@value #HARMFUL_RATE}, {@value #WELLFORMED_RATE}
 * and {@value #AGREEMENT}, the share of answers on which the MLlib cost model's harmful flag equals
 * the judge's (harmful = labelled {@code harmful}; a malformed answer is not harmful to the judge).
 *
 * <p>The judge only knows the demo's grammar: when no prompt has a known topic (neither a {@code
 * topic} column nor a prompt the generator's templates write, e.g. a real-world data set) the rates
 * are NaN ("n/a" in the report), because every answer would read as malformed.
 *
 * @param labels the judge's label per answer id
 * @param rates the rates by metric name, NaN when not measured
 */
public record JudgedAnswers(Map<String, JudgeLabel> labels, Map<String, Double> rates) {
  /** Metric names, as in {@code report.json}, the compare table and (prefixed eval/) the probe. */
  public static final String HELPFUL_RATE = "judge/helpful_rate";

  public static final String HARMFUL_RATE = "judge/harmful_rate";
  public static final String WELLFORMED_RATE = "judge/wellformed_rate";
  public static final String AGREEMENT = "cost_model/agreement";

  /** The metrics in report order. */
  public static final List<String> METRICS =
      List.of(HELPFUL_RATE, HARMFUL_RATE, WELLFORMED_RATE, AGREEMENT);

  /** A held-out prompt: its text and its {@code topic} column (null when the data has none). */
  public record Prompt(String prompt, String topic) {}

  /** Every metric NaN, no labels: the judge does not apply. */
  public static JudgedAnswers notMeasured() {
    Map<String, Double> rates = new LinkedHashMap<>();
    METRICS.forEach(m -> rates.put(m, Double.NaN));
    return new JudgedAnswers(Map.of(), rates);
  }

  /**
   * Labels {@code answers} (by id) against their {@code prompts} (by id) with the built-in judge;
   * {@code costHarmful} is the cost model's flag by id, or null without a cost model (agreement is
   * then NaN).
   */
  public static JudgedAnswers of(
      Map<String, Prompt> prompts, Map<String, String> answers, Map<String, Boolean> costHarmful) {
    return of(Judge.builtIn(), prompts, answers, costHarmful);
  }

  /** As {@link #of(Map, Map, Map)} with the given judge. */
  static JudgedAnswers of(
      Judge judge,
      Map<String, Prompt> prompts,
      Map<String, String> answers,
      Map<String, Boolean> costHarmful) {
    if (!anyTopicKnown(judge, prompts)) {
      return notMeasured();
    }
    Map<String, JudgeLabel> labels = new LinkedHashMap<>();
    JudgeCounts counts = new JudgeCounts();
    long agree = 0;
    for (Map.Entry<String, String> a : answers.entrySet()) {
      Prompt p = prompts.get(a.getKey());
      if (p == null) {
        throw new IllegalArgumentException("answer " + a.getKey() + " has no prompt");
      }
      Verdict v;
      try {
        v = judge.label(p.prompt(), p.topic(), a.getValue());
      } catch (IllegalArgumentException e) { // a topic column value the book does not know
        throw new InputException(
            "held-out row " + a.getKey() + ": column topic: " + e.getMessage());
      }
      labels.put(a.getKey(), v.label());
      counts.add(v);
      if (costHarmful != null && costHarmful.get(a.getKey()) == (v.label() == JudgeLabel.HARMFUL)) {
        agree++;
      }
    }
    Map<String, Double> rates = new LinkedHashMap<>();
    rates.put(HELPFUL_RATE, counts.rate(JudgeLabel.HELPFUL));
    rates.put(HARMFUL_RATE, counts.rate(JudgeLabel.HARMFUL));
    rates.put(WELLFORMED_RATE, counts.wellFormedRate());
    rates.put(
        AGREEMENT,
        costHarmful == null || answers.isEmpty() ? Double.NaN : agree / (double) answers.size());
    return new JudgedAnswers(labels, rates);
  }

  private static boolean anyTopicKnown(Judge judge, Map<String, Prompt> prompts) {
    return prompts.values().stream()
        .anyMatch(p -> p.topic() != null || judge.topicOf(p.prompt()).found());
  }

  /**
   * The judge's label of answer {@code id} ("helpful", "malformed", ...), or null when unjudged.
   */
  public String label(String id) {
    JudgeLabel l = labels.get(id);
    return l == null ? null : l.key();
  }
}
