package dev.d2o.spark.train;

import dev.d2o.spark.PolicyReplica;
import dev.d2o.train.GradientSums;
import dev.d2o.train.StepResult;
import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * How the train stage treats one type of training row: D²O and its baseline losses on anchored
 * examples ({@link AnchorRows}), or the next-token loss on SFT rows ({@link SftRows}). The gradient
 * runs in executor tasks, so a kind is serializable; the rest runs on the driver.
 *
 * @param <R> the row type
 */
interface RowKind<R extends Serializable> extends Serializable {
  /** Gradient sums of one canonical chunk of {@code rows} on this JVM's {@code replica}. */
  GradientSums gradient(
      PolicyReplica replica, String runId, BroadcastWeights weights, List<R> rows);

  /** The step's metrics as {@code metrics.jsonl} records them. */
  Map<String, Double> logged(Map<String, Double> metrics);

  /** What the step's progress line shows between the loss and the gradient norm. */
  String progress(StepResult step);

  /** Driver-side work at each step before its gradient (none, or D²O's refresh and probe). */
  StepExtras<R> extras(TrainContext context);
}
