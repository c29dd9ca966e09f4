package dev.d2o.spark.eval;

import java.io.Serializable;

/**
 * What evaluation found for one held-out prompt. Log-probs are exact sequence log-probs (sums over
 * the response tokens, EOS included, temperature 1) from {@link dev.d2o.infer.SequenceScorer}.
 *
 * @param id row id (seeds both models' sampling)
 * @param prompt prompt text
 * @param policyText the policy's response
 * @param referenceText the reference's response
 * @param policyTokens the policy's response tokens without a final EOS (the units of distinct-n)
 * @param referenceTokens the reference's response tokens without a final EOS
 * @param policyLogpNegative log π_θ(y⁻|x)
 * @param refLogpNegative log π_ref(y⁻|x)
 * @param policyLogpSample log π_θ(y|x) of the policy's own response y
 * @param refLogpSample log π_ref(y|x) of the policy's response y: with the line above, one sample
 *     of KL(π_θ‖π_ref)
 * @param helpfulTokens tokens of the held-out helpful response (EOS included); 0 when the row has
 *     none
 * @param policyLogpHelpful log π_θ(helpful|x), 0 when there is none
 * @param refLogpHelpful log π_ref(helpful|x), 0 when there is none
 */
public record EvalRow(
    String id,
    String prompt,
    String policyText,
    String referenceText,
    int[] policyTokens,
    int[] referenceTokens,
    double policyLogpNegative,
    double refLogpNegative,
    double policyLogpSample,
    double refLogpSample,
    int helpfulTokens,
    double policyLogpHelpful,
    double refLogpHelpful)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * log π_θ(y|x) − log π_ref(y|x) on the policy's sample: its mean over prompts estimates
   * KL(π_θ‖π_ref).
   */
  public double logRatioSample() {
    return policyLogpSample - refLogpSample;
  }
}
