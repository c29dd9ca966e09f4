package dev.d2o.spark.stages;

import dev.d2o.infer.LengthPolicy;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.ModelCache;
import dev.d2o.train.TrainExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * The two options that change the training rows during a run (ARCHITECTURE.md section 2): {@code
 * reference.updateEvery} (the policy becomes the reference: every row's reference log-probs are
 * recomputed with the current weights) and {@code anchors.refreshEvery} (every row gets new anchors
 * sampled from the current policy, scored under the reference). Both run on the executors with the
 * cached replicas.
 */
final class Refresh {
  private Refresh() {}

  /** Rows whose reference log-probs are the current policy's (π_ref ← π_θ). */
  static JavaPairRDD<Long, AnchorRow> updateReference(
      JavaPairRDD<Long, AnchorRow> rows,
      TrainStage.Spec spec,
      long version,
      Broadcast<float[][]> weights) {
    return rows.mapPartitionsToPair(
        it -> {
          List<Tuple2<Long, AnchorRow>> in = new ArrayList<>();
          it.forEachRemaining(in::add);
          List<TrainExample> examples = in.stream().map(t -> TrainData.toExample(t._2())).toList();
          float[][] logps =
              spec.replica().sequenceLogps(spec.runId(), version, weights::value, examples);
          List<Tuple2<Long, AnchorRow>> out = new ArrayList<>(in.size());
          for (int i = 0; i < in.size(); i++) {
            AnchorRow a = in.get(i)._2();
            int k = a.anchorIds().length;
            double[] ref = new double[k];
            for (int j = 0; j < k; j++) {
              ref[j] = logps[i][j];
            }
            out.add(
                new Tuple2<>(
                    in.get(i)._1(),
                    new AnchorRow(
                        a.id(),
                        a.prompt(),
                        a.negative(),
                        a.promptIds(),
                        a.negativeIds(),
                        a.anchors(),
                        a.anchorIds(),
                        ref,
                        logps[i][k])));
          }
          return out.iterator();
        });
  }

  /**
   * Rows with K new anchors sampled from the current policy (seeded by run seed + step, per row id
   * and anchor), scored under the frozen reference, or under the current policy when the reference
   * is updated at this step too.
   */
  static JavaPairRDD<Long, AnchorRow> refreshAnchors(
      JavaPairRDD<Long, AnchorRow> rows,
      TrainStage.Spec spec,
      AnchorsStage.Spec anchors,
      long version,
      Broadcast<float[][]> weights,
      boolean referenceIsPolicy) {
    return rows.mapPartitionsToPair(
        it -> {
          List<Tuple2<Long, AnchorRow>> in = new ArrayList<>();
          it.forEachRemaining(in::add);
          if (in.isEmpty()) {
            return new ArrayList<Tuple2<Long, AnchorRow>>().iterator();
          }
          List<AnchorBuilder.Input> inputs =
              in.stream()
                  .map(
                      t -> new AnchorBuilder.Input(t._2().id(), t._2().prompt(), t._2().negative()))
                  .toList();
          Pretrained frozen =
              ModelCache.get(
                  "reference", anchors.modelPath(), anchors.conf().get(), anchors.device());
          List<AnchorRow> built =
              spec.replica()
                  .withModel(
                      spec.runId(),
                      version,
                      weights::value,
                      policy ->
                          new AnchorBuilder(
                                  policy.model(),
                                  referenceIsPolicy ? policy.model() : frozen.model(),
                                  policy.tokenizer(),
                                  anchors.sampling(),
                                  anchors.numSamples(),
                                  anchors.prefix(),
                                  LengthPolicy.parse(anchors.lengthPolicy()),
                                  anchors.batchSize())
                              .build(inputs));
          List<Tuple2<Long, AnchorRow>> out = new ArrayList<>(in.size());
          for (int i = 0; i < in.size(); i++) {
            out.add(new Tuple2<>(in.get(i)._1(), built.get(i)));
          }
          return out.iterator();
        });
  }
}
