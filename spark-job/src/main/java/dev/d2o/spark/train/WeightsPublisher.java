package dev.d2o.spark.train;

import dev.d2o.train.TrainerState;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

/**
 * The driver's side of the versioned weights broadcast. A step publishes the trainer state's
 * weights; a new broadcast is made only when their version changed (a skipped step changes
 * nothing), and the previous one is destroyed then: rows refreshed with a broadcast are saved and
 * read back from files ({@link Refresh}), so no cached RDD's function holds an old one. Closing
 * destroys the last.
 */
final class WeightsPublisher implements AutoCloseable {
  private final JavaSparkContext sc;
  private BroadcastWeights current;

  WeightsPublisher(SparkSession spark) {
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  /** The broadcast of {@code state}'s weights version, made when it is new. */
  BroadcastWeights publish(TrainerState state) {
    if (current == null || current.version() != state.weightsVersion()) {
      release(current);
      current =
          new BroadcastWeights(
              state.weightsVersion(), sc.broadcast(WeightsPayload.copyOf(state.weights())));
    }
    return current;
  }

  @Override
  public void close() {
    release(current);
    current = null;
  }

  private static void release(BroadcastWeights weights) {
    if (weights != null) {
      weights.broadcast().destroy();
    }
  }
}
