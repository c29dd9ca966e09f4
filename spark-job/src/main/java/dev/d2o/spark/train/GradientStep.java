package dev.d2o.spark.train;

import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.Groups;
import dev.d2o.train.GradientSums;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaPairRDD;
import scala.Tuple2;

/**
 * One step's gradient sums, MLlib style: the math is model-core's ({@link GradientSums}: one
 * chunk's sums, {@code merge}), the transport is here. The global batch is cut into canonical
 * chunks by batch position ({@link Groups#byPosition}: positions [c·chunk, (c+1)·chunk) form chunk
 * c, exactly as the single-process trainer cuts it); the batch's rows are grouped by chunk (a small
 * shuffle of token ids), each chunk is one forward/backward on an executor's cached replica at the
 * published weights, and the double-precision sums meet through {@code treeAggregate}. So the step
 * does not depend on partitioning, and a retried task recomputes the same sums.
 */
final class GradientStep {
  private final SparkContext sc;
  private final ReplicaSpec spec;
  private final int treeDepth;

  GradientStep(SparkContext sc, ReplicaSpec spec, int treeDepth) {
    this.sc = sc;
    this.spec = spec;
    this.treeDepth = treeDepth;
  }

  /**
   * The gradient sums of the rows at {@code batch} (indices into {@code data}) at {@code weights}.
   */
  <R extends Serializable> GradientSums sums(
      TrainData<R> data, BroadcastWeights weights, int[] batch) {
    Map<Long, List<Long>> positions = new HashMap<>(); // a row may appear twice across an epoch end
    for (int pos = 0; pos < batch.length; pos++) {
      positions.computeIfAbsent((long) batch[pos], k -> new ArrayList<>()).add((long) pos);
    }
    int chunk = spec.chunk();
    int chunks = (batch.length + chunk - 1) / chunk;
    int parallelism = Math.max(1, Math.min(chunks, sc.defaultParallelism()));
    // locals, so the task closures do not capture this (which is not serializable)
    ReplicaSpec replica = spec;
    RowKind<R> kind = data.kind();
    JavaPairRDD<Long, R> positioned =
        data.rows()
            .filter(t -> positions.containsKey(t._1()))
            .flatMapToPair(
                t ->
                    positions.get(t._1()).stream()
                        .map(pos -> new Tuple2<>(pos, t._2()))
                        .iterator());
    return Groups.byPosition(positioned, chunk, parallelism)
        .mapPartitions(
            groups -> {
              FaultInjection.maybeFail("train");
              FaultInjection.maybeDelay("train");
              GradientSums sums = GradientSums.zero();
              while (groups.hasNext()) {
                sums.merge(
                    kind.gradient(replica.replica(), replica.runId(), weights, groups.next()));
              }
              return List.of(sums).iterator();
            })
        .treeAggregate(GradientSums.zero(), GradientSums::merge, GradientSums::merge, treeDepth);
  }
}
