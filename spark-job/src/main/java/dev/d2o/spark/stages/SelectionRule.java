package dev.d2o.spark.stages;

import dev.d2o.spark.eval.JudgedAnswers;
import java.util.List;
import java.util.Optional;

/**
 * How {@code d2o compare --learning-rates} picks each loss's grid value, fixed before any run: on
 * the validation prompts, the highest {@code judge/helpful_rate} among the values whose {@code
 * judge/wellformed_rate} is at least the reference's minus {@value #WELLFORMED_SLACK}; ties go to
 * the lower KL to the reference, then to the earlier grid value. No value qualifies: no choice (the
 * table says so rather than bend the rule).
 */
public final class SelectionRule {
  /** How far below the reference's well-formed rate a chosen value may fall. */
  public static final double WELLFORMED_SLACK = 0.05;

  /**
   * One grid value's validation numbers.
   *
   * @param name the grid value, e.g. {@code lr=1e-4}
   * @param helpfulRate {@value JudgedAnswers#HELPFUL_RATE} on the validation prompts
   * @param wellformedRate {@value JudgedAnswers#WELLFORMED_RATE} on the validation prompts
   * @param kl KL to the reference on the validation prompts
   */
  public record Candidate(String name, double helpfulRate, double wellformedRate, double kl) {}

  private SelectionRule() {}

  /** The chosen candidate, or empty when none keeps the well-formed rate. */
  public static Optional<Candidate> choose(
      List<Candidate> candidates, double referenceWellformedRate) {
    if (!Double.isFinite(referenceWellformedRate)) {
      throw new IllegalArgumentException(
          "the rule needs the reference's "
              + JudgedAnswers.WELLFORMED_RATE
              + " on the validation prompts, got "
              + referenceWellformedRate
              + " (prompts the judge has no topic for?)");
    }
    double floor = referenceWellformedRate - WELLFORMED_SLACK;
    Candidate best = null;
    for (Candidate c : candidates) {
      if (!(c.wellformedRate() >= floor)) {
        continue;
      }
      if (best == null
          || c.helpfulRate() > best.helpfulRate()
          || (c.helpfulRate() == best.helpfulRate() && c.kl() < best.kl())) {
        best = c;
      }
    }
    return Optional.ofNullable(best);
  }
}
