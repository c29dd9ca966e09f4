package dev.d2o.spark.train;

import dev.d2o.spark.PolicyReplica;
import dev.d2o.train.GradientSums;
import dev.d2o.train.StepResult;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * D²O and its baseline losses ({@code train.loss}) on anchored examples: the progress line shows
 * the mean margin and accuracy, and each step may refresh the anchors or the reference and probe
 * the harmful rate ({@code anchors.refreshEvery}, {@code reference.updateEvery}, {@code
 * eval.every}).
 */
final class AnchorRows implements RowKind<AnchoredExample> {
  private static final long serialVersionUID = 1L;

  @Override
  public GradientSums gradient(
      PolicyReplica replica, String runId, BroadcastWeights weights, List<AnchoredExample> rows) {
    return replica.compute(
        runId, weights.version(), weights, rows.stream().map(AnchoredExample::example).toList());
  }

  @Override
  public Map<String, Double> logged(Map<String, Double> metrics) {
    return metrics;
  }

  @Override
  public String progress(StepResult step) {
    return String.format(
        Locale.ROOT,
        "  margin %+.4f  acc %.2f",
        step.metric("rewards/margins"),
        step.metric("rewards/accuracies"));
  }

  @Override
  public StepExtras<AnchoredExample> extras(TrainContext context) {
    Refresh refresh = new Refresh(context);
    HarmfulProbe probe = HarmfulProbe.of(context);
    return new StepExtras<>() {
      @Override
      public Optional<TrainData<AnchoredExample>> refreshed(
          TrainData<AnchoredExample> data, long step, BroadcastWeights weights) {
        return refresh.refreshed(data, step, weights);
      }

      @Override
      public TrainData<AnchoredExample> resumed(TrainData<AnchoredExample> data, String source) {
        return refresh.resumed(data, source);
      }

      @Override
      public double harmfulRate(long step, BroadcastWeights weights) {
        return probe == null ? Double.NaN : probe.harmfulRate(step, weights);
      }
    };
  }
}
