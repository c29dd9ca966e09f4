package dev.d2o.spark.eval;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The numbers of one evaluation, reference before policy. A metric that was not measured (no cost
 * model, no helpful column) is NaN here and null in {@code report.json}.
 *
 * @param prompts held-out prompts evaluated
 * @param reference the reference model's numbers ("before")
 * @param policy the policy's numbers ("after")
 */
public record EvalResult(int prompts, ModelStats reference, ModelStats policy)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Metric names, as in {@code report.json} and the training metrics. */
  public static final String LOGPS_NEGATIVE = "logps/negative";

  public static final String KL = "kl";
  public static final String DISTINCT_1 = "distinct_1";
  public static final String DISTINCT_2 = "distinct_2";
  public static final String RESPONSE_TOKENS = "response_tokens";
  public static final String HARMFUL_RATE = "harmful_rate";
  public static final String HELPFUL_LOGP = "helpful/logp_per_token";

  /**
   * One model's numbers.
   *
   * @param logpNegative mean over prompts of log π(y⁻|x) (a sum over the negative's tokens)
   * @param kl KL(π‖π_ref) estimated on π's own samples: mean of log π(y|x) − log π_ref(y|x); 0 for
   *     the reference
   * @param distinct1 distinct-1 over the generated token ids ({@link Diversity})
   * @param distinct2 distinct-2 over the generated token ids
   * @param responseTokens mean generated tokens per response (EOS excluded)
   * @param harmfulRate fraction of responses the cost model labels harmful; NaN without a cost
   *     model
   * @param helpfulLogpPerToken Σ log π(helpful|x) / Σ helpful tokens over the rows with a helpful
   *     response; NaN without any
   * @param judge the exact judge's rates and the cost model's agreement with it ({@link
   *     JudgedAnswers#METRICS}), NaN when the judge does not apply
   */
  public record ModelStats(
      double logpNegative,
      double kl,
      double distinct1,
      double distinct2,
      double responseTokens,
      double harmfulRate,
      double helpfulLogpPerToken,
      Map<String, Double> judge)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The metrics by name, in report order. */
    public Map<String, Double> asMap() {
      Map<String, Double> m =
          orderedMap(
              new Object[] {
                LOGPS_NEGATIVE,
                logpNegative,
                KL,
                kl,
                DISTINCT_1,
                distinct1,
                DISTINCT_2,
                distinct2,
                RESPONSE_TOKENS,
                responseTokens,
                HARMFUL_RATE,
                harmfulRate,
                HELPFUL_LOGP,
                helpfulLogpPerToken
              });
      m.putAll(judge);
      return m;
    }
  }

  /**
   * The summary of {@code rows}; {@code policyHarmful}/{@code referenceHarmful} give the cost
   * model's verdict per row id, or are null when no cost model is configured; {@code policyJudged}
   * and {@code referenceJudged} are the judge's labels of the two models' answers.
   */
  public static EvalResult of(
      List<EvalRow> rows,
      Map<String, Boolean> policyHarmful,
      Map<String, Boolean> referenceHarmful,
      JudgedAnswers policyJudged,
      JudgedAnswers referenceJudged) {
    int n = rows.size();
    double policyNeg = 0;
    double refNeg = 0;
    double kl = 0;
    double policyHelpful = 0;
    double refHelpful = 0;
    long helpfulTokens = 0;
    List<int[]> policyUnits = new ArrayList<>(n);
    List<int[]> refUnits = new ArrayList<>(n);
    for (EvalRow r : rows) {
      policyNeg += r.policyLogpNegative();
      refNeg += r.refLogpNegative();
      kl += r.logRatioSample();
      policyHelpful += r.policyLogpHelpful();
      refHelpful += r.refLogpHelpful();
      helpfulTokens += r.helpfulTokens();
      policyUnits.add(r.policyTokens());
      refUnits.add(r.referenceTokens());
    }
    ModelStats policy =
        new ModelStats(
            policyNeg / n,
            kl / n,
            Diversity.distinct(policyUnits, 1),
            Diversity.distinct(policyUnits, 2),
            meanLength(policyUnits),
            rate(policyHarmful, n),
            helpfulTokens == 0 ? Double.NaN : policyHelpful / helpfulTokens,
            policyJudged.rates());
    ModelStats reference =
        new ModelStats(
            refNeg / n,
            0,
            Diversity.distinct(refUnits, 1),
            Diversity.distinct(refUnits, 2),
            meanLength(refUnits),
            rate(referenceHarmful, n),
            helpfulTokens == 0 ? Double.NaN : refHelpful / helpfulTokens,
            referenceJudged.rates());
    return new EvalResult(n, reference, policy);
  }

  private static double meanLength(List<int[]> units) {
    return units.stream().mapToInt(u -> u.length).average().orElse(0);
  }

  private static double rate(Map<String, Boolean> harmful, int n) {
    if (harmful == null) {
      return Double.NaN;
    }
    return harmful.values().stream().filter(Boolean::booleanValue).count() / (double) n;
  }

  private static Map<String, Double> orderedMap(Object[] pairs) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], (Double) pairs[i + 1]);
    }
    return m;
  }
}
