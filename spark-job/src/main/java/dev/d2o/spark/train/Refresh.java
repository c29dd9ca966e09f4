package dev.d2o.spark.train;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.anchors.AnchorBuilder;
import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.spark.anchors.AnchorsStage;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.train.TrainExample;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

/**
 * The two options that change the training rows during a run (ARCHITECTURE.md section 2): {@code
 * reference.updateEvery} (the policy becomes the reference: every row's reference log-probs are
 * recomputed with the current weights) and {@code anchors.refreshEvery} (every row gets new anchors
 * sampled from the current policy, scored under the reference). Both run on the executors with the
 * cached replicas.
 */
final class Refresh {
  private final SparkSession spark;
  private final JobConfig cfg;
  private final ReplicaSpec spec;
  private final WeightsPublisher weights;
  private final int referenceEvery;
  private final int anchorsEvery;
  private PromptRenderer renderer; // resolved at the first anchor refresh

  Refresh(TrainContext context) {
    this.spark = context.spark();
    this.cfg = context.cfg();
    this.spec = context.spec();
    this.weights = context.weights();
    this.referenceEvery = cfg.get(Keys.REFERENCE_UPDATE_EVERY);
    this.anchorsEvery = cfg.get(Keys.ANCHORS_REFRESH_EVERY);
    if (referenceEvery > 0 || anchorsEvery > 0) { // refreshed rows are checkpointed
      spark.sparkContext().setCheckpointDir(context.run().path("spark-checkpoints").toString());
    }
  }

  /**
   * New rows for {@code step} when an option is due at this step (new anchors and/or reference
   * log-probs, computed at {@code published}), else empty.
   */
  Optional<JavaPairRDD<Long, AnchoredExample>> refreshed(
      JavaPairRDD<Long, AnchoredExample> rows, long step, BroadcastWeights published) {
    boolean updateReference = due(referenceEvery, step);
    if (!due(anchorsEvery, step) && !updateReference) {
      return Optional.empty();
    }
    weights.pin(published); // the new rows' function holds this broadcast
    if (due(anchorsEvery, step)) {
      spark
          .sparkContext()
          .setJobDescription("d2o train step " + step + ": new anchors from the policy");
      JobConfig seeded = cfg.with(Keys.RUN_SEED, cfg.get(Keys.RUN_SEED) + (int) step);
      if (renderer == null) {
        renderer = PromptFormats.resolve(cfg, spark.sparkContext().hadoopConfiguration());
      }
      AnchorsStage.Spec anchors =
          AnchorsStage.spec(spark, seeded, cfg.get(Keys.MODEL_PATH), renderer);
      return Optional.of(newAnchors(rows, spec, anchors, published, updateReference));
    }
    spark.sparkContext().setJobDescription("d2o train step " + step + ": reference <- policy");
    return Optional.of(updateReference(rows, spec, published));
  }

  private static boolean due(int every, long step) {
    return step > 0 && every > 0 && step % every == 0;
  }

  /** Rows whose reference log-probs are the current policy's (π_ref ← π_θ). */
  static JavaPairRDD<Long, AnchoredExample> updateReference(
      JavaPairRDD<Long, AnchoredExample> rows, ReplicaSpec spec, BroadcastWeights weights) {
    return rows.mapPartitionsToPair(
        it -> {
          List<Tuple2<Long, AnchoredExample>> in = new ArrayList<>();
          it.forEachRemaining(in::add);
          List<TrainExample> examples = in.stream().map(t -> t._2().example()).toList();
          float[][] logps =
              spec.replica().sequenceLogps(spec.runId(), weights.version(), weights, examples);
          List<Tuple2<Long, AnchoredExample>> out = new ArrayList<>(in.size());
          for (int i = 0; i < in.size(); i++) {
            AnchoredExample a = in.get(i)._2();
            int k = a.example().k();
            double[] ref = new double[k];
            for (int j = 0; j < k; j++) {
              ref[j] = logps[i][j];
            }
            TrainExample updated = a.example().withReference(ref, logps[i][k]);
            out.add(
                new Tuple2<>(
                    in.get(i)._1(),
                    new AnchoredExample(a.prompt(), a.negative(), a.conversation(), updated)));
          }
          return out.iterator();
        });
  }

  /**
   * Rows with K new anchors sampled from the current policy (seeded by run seed + step, per row id
   * and anchor), scored under the frozen reference, or under the current policy when the reference
   * is updated at this step too.
   */
  static JavaPairRDD<Long, AnchoredExample> newAnchors(
      JavaPairRDD<Long, AnchoredExample> rows,
      ReplicaSpec spec,
      AnchorsStage.Spec anchors,
      BroadcastWeights weights,
      boolean referenceIsPolicy) {
    return rows.mapPartitionsToPair(
        it -> {
          List<Tuple2<Long, AnchoredExample>> in = new ArrayList<>();
          it.forEachRemaining(in::add);
          if (in.isEmpty()) {
            return new ArrayList<Tuple2<Long, AnchoredExample>>().iterator();
          }
          List<AnchorBuilder.Input> inputs =
              in.stream()
                  .map(t -> t._2())
                  .map(
                      a ->
                          new AnchorBuilder.Input(
                              a.example().id(), a.prompt(), a.negative(), a.conversation()))
                  .toList();
          Pretrained frozen = anchors.reference();
          List<AnchorRow> built =
              spec.replica()
                  .withModel(
                      spec.runId(),
                      weights.version(),
                      weights,
                      policy ->
                          anchors
                              .builder(
                                  policy.model(),
                                  referenceIsPolicy ? policy.model() : frozen.model(),
                                  policy.tokenizer())
                              .build(inputs));
          List<Tuple2<Long, AnchoredExample>> out = new ArrayList<>(in.size());
          for (int i = 0; i < in.size(); i++) {
            out.add(new Tuple2<>(in.get(i)._1(), AnchoredExample.of(built.get(i))));
          }
          return out.iterator();
        });
  }
}
