package dev.d2o.spark.train;

import java.io.Serializable;
import java.util.Optional;
import org.apache.spark.api.java.JavaPairRDD;

/**
 * Driver-side work at the start of a training step, before its gradient: for D²O rows the anchor
 * refresh and reference update ({@link Refresh}) and the harmful-rate probe ({@link HarmfulProbe});
 * nothing for SFT rows.
 *
 * @param <R> the row type
 */
interface StepExtras<R extends Serializable> {
  /**
   * New rows for {@code step} (new anchors or reference log-probs, computed at {@code weights}), or
   * empty when the rows stay as they are.
   */
  Optional<JavaPairRDD<Long, R>> refreshed(
      JavaPairRDD<Long, R> rows, long step, BroadcastWeights weights);

  /**
   * The harmful rate of the policy at {@code weights} (after {@code step} updates, before this
   * one), or NaN when this step is not probed.
   */
  double harmfulRate(long step, BroadcastWeights weights);

  /** No extra work. */
  static <R extends Serializable> StepExtras<R> none() {
    return new StepExtras<>() {
      @Override
      public Optional<JavaPairRDD<Long, R>> refreshed(
          JavaPairRDD<Long, R> rows, long step, BroadcastWeights weights) {
        return Optional.empty();
      }

      @Override
      public double harmfulRate(long step, BroadcastWeights weights) {
        return Double.NaN;
      }
    };
  }
}
