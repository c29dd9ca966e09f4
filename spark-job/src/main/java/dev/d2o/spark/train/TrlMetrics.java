package dev.d2o.spark.train;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * TRL's names for the step metrics whose meaning is the same here, written beside the project's own
 * in {@code metrics.jsonl} (and to the tracker), so that TRL dashboards and scripts read a D²O run:
 * the anchors play the part of DPO's chosen responses and the human negative that of the rejected
 * one.
 *
 * <pre>
 *   learning_rate     = lr
 *   epoch             = (step + 1) · train.batchSize / training rows
 *   rewards/chosen    = rewards/anchors     (β · mean over anchors of log π_θ − log π_ref)
 *   rewards/rejected  = rewards/negative    (α · (log π_θ(y⁻) − log π_ref(y⁻)))
 *   logps/chosen      = logps/anchors
 *   logps/rejected    = logps/negative
 * </pre>
 *
 * {@code loss}, {@code grad_norm}, {@code rewards/margins} and {@code rewards/accuracies} have
 * TRL's names already.
 */
final class TrlMetrics {
  /** TRL's name → the project's. */
  static final Map<String, String> SAME = new LinkedHashMap<>();

  static {
    SAME.put("learning_rate", "lr");
    SAME.put("rewards/chosen", "rewards/anchors");
    SAME.put("rewards/rejected", "rewards/negative");
    SAME.put("logps/chosen", "logps/anchors");
    SAME.put("logps/rejected", "logps/negative");
  }

  private TrlMetrics() {}

  /**
   * Adds TRL's names to {@code m} for the metrics it has, and {@code epoch} (the fraction of the
   * training rows consumed after step {@code step}, {@code epochsPerStep} per step).
   */
  static void add(Map<String, Double> m, long step, double epochsPerStep) {
    SAME.forEach(
        (trl, own) -> {
          Double v = m.get(own);
          if (v != null) {
            m.put(trl, v);
          }
        });
    m.put("epoch", (step + 1) * epochsPerStep);
  }
}
