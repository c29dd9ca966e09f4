package dev.d2o.infer;

/**
 * One sequence to score: the log-prob of {@code responseIds} given {@code promptIds}.
 *
 * @param label names the row in error messages (an id or a line number)
 * @param promptIds context tokens, used as given
 * @param responseIds scored tokens, used as given
 */
public record ScoreRequest(String label, int[] promptIds, int[] responseIds) {
  /** Total tokens. */
  public int length() {
    return promptIds.length + responseIds.length;
  }
}
