package dev.d2o.spark.train;

import java.io.Serializable;
import java.util.Optional;

/**
 * Driver-side work at the start of a training step, before its gradient: for D²O rows the anchor
 * refresh and reference update ({@link Refresh}) and the harmful-rate probe ({@link HarmfulProbe});
 * nothing for SFT rows.
 *
 * @param <R> the row type
 */
interface StepExtras<R extends Serializable> {
  /**
   * New rows for {@code step} (new anchors or reference log-probs, computed at {@code weights} and
   * saved in the run directory), or empty when the rows stay as they are.
   */
  Optional<TrainData<R>> refreshed(TrainData<R> data, long step, BroadcastWeights weights);

  /**
   * {@code data} with the rows that {@link #refreshed} saved under {@code source} in an earlier
   * attempt of this run (a checkpoint names them).
   */
  TrainData<R> resumed(TrainData<R> data, String source);

  /**
   * The harmful rate of the policy at {@code weights} (after {@code step} updates, before this
   * one), or NaN when this step is not probed.
   */
  double harmfulRate(long step, BroadcastWeights weights);

  /** No extra work. */
  static <R extends Serializable> StepExtras<R> none() {
    return new StepExtras<>() {
      @Override
      public Optional<TrainData<R>> refreshed(
          TrainData<R> data, long step, BroadcastWeights weights) {
        return Optional.empty();
      }

      @Override
      public TrainData<R> resumed(TrainData<R> data, String source) {
        throw new IllegalStateException(
            "these rows are never refreshed, yet the checkpoint names refreshed rows " + source);
      }

      @Override
      public double harmfulRate(long step, BroadcastWeights weights) {
        return Double.NaN;
      }
    };
  }
}
