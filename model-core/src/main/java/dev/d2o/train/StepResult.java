package dev.d2o.train;

import java.util.Map;

/**
 * The outcome of one optimizer step.
 *
 * @param step the step's 0-based index
 * @param skipped whether the update was skipped (non-finite loss or gradient)
 * @param reason why it was skipped, null otherwise
 * @param metrics the metrics of ARCHITECTURE.md §2 by their TRL names ({@code loss}, {@code
 *     rewards/margins}, {@code grad_norm}, {@code lr}, {@code tokens_per_s}, {@code skipped_steps},
 *     …)
 */
public record StepResult(long step, boolean skipped, String reason, Map<String, Double> metrics) {
  /** One metric; fails on an unknown name. */
  public double metric(String name) {
    Double v = metrics.get(name);
    if (v == null) {
      throw new IllegalArgumentException("no metric '" + name + "'; known: " + metrics.keySet());
    }
    return v;
  }
}
