package dev.d2o.spark.cost;

import dev.d2o.infer.ScoreResult;

/**
 * The helpfulness proxy of the evaluate stage: the mean per-token log-prob of the held-out helpful
 * responses (the {@code helpful} column of {@code data-samples/harmless/eval}) under a model,
 * token-weighted over the set: {@code Σ logp / Σ tokens}. Higher is better; a policy that unlearns
 * harmful answers by collapsing (e.g. gradient ascent) loses it, so it guards the cost model's
 * harmfulness rate against a degenerate win.
 */
public final class Helpfulness {
  private Helpfulness() {}

  /** {@code Σ logp / Σ tokens} over the scored helpful responses; fails on an empty set. */
  public static double meanTokenLogp(Iterable<ScoreResult> helpfulScores) {
    double logp = 0;
    long tokens = 0;
    for (ScoreResult r : helpfulScores) {
      logp += r.logp();
      tokens += r.tokens();
    }
    if (tokens == 0) {
      throw new IllegalArgumentException(
          "helpfulness of an empty set: no response tokens were scored");
    }
    return logp / tokens;
  }
}
