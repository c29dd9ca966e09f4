package dev.d2o.spark.train;

import dev.d2o.spark.PolicyReplica;
import dev.d2o.train.GradientSums;
import dev.d2o.train.SftExample;
import dev.d2o.train.StepResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The next-token loss on SFT rows (the {@code sft} stage): the reward and log-prob metrics mean
 * nothing for it and are not logged, and there is no per-step extra work.
 */
final class SftRows implements RowKind<SftExample> {
  private static final long serialVersionUID = 1L;

  @Override
  public GradientSums gradient(
      PolicyReplica replica, String runId, BroadcastWeights weights, List<SftExample> rows) {
    return replica.computeSft(runId, weights.version(), weights, rows);
  }

  @Override
  public Map<String, Double> logged(Map<String, Double> metrics) {
    Map<String, Double> m = new LinkedHashMap<>(metrics);
    m.keySet().removeIf(k -> k.startsWith("rewards/") || k.startsWith("logps/"));
    return m;
  }

  @Override
  public String progress(StepResult step) {
    return "";
  }

  @Override
  public StepExtras<SftExample> extras(TrainContext context) {
    return StepExtras.none();
  }
}
