package dev.d2o.spark.train;

import dev.d2o.train.TrainerState;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * The driver's side of the versioned weights broadcast. A step publishes the trainer state's
 * weights; a new broadcast is made only when their version changed (a skipped step changes
 * nothing), and the previous one is destroyed then. A broadcast that a refreshed RDD's function
 * captured is pinned instead: a checkpointed RDD still serializes its function, so such broadcasts
 * live until the end of training (one weights copy per refresh). Closing destroys the rest.
 */
final class WeightsPublisher implements AutoCloseable {
  private final JavaSparkContext sc;
  private final List<Broadcast<float[][]>> pinned = new ArrayList<>();
  private BroadcastWeights current;

  WeightsPublisher(SparkSession spark) {
    this.sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
  }

  /** The broadcast of {@code state}'s weights version, made when it is new. */
  BroadcastWeights publish(TrainerState state) {
    if (current == null || current.version() != state.weightsVersion()) {
      release(current);
      // a copy: the driver updates its weights in place, and a local-mode broadcast would share
      // them
      current = new BroadcastWeights(state.weightsVersion(), sc.broadcast(copy(state.weights())));
    }
    return current;
  }

  /** Keeps {@code weights} alive until the end of training (a refreshed RDD's closure holds it). */
  void pin(BroadcastWeights weights) {
    if (!pinned.contains(weights.broadcast())) {
      pinned.add(weights.broadcast());
    }
  }

  @Override
  public void close() {
    release(current);
    current = null;
    pinned.forEach(Broadcast::destroy);
    pinned.clear();
  }

  private void release(BroadcastWeights weights) {
    if (weights != null && !pinned.contains(weights.broadcast())) {
      weights.broadcast().destroy();
    }
  }

  private static float[][] copy(float[][] w) {
    float[][] out = new float[w.length][];
    for (int i = 0; i < w.length; i++) {
      out[i] = w[i].clone();
    }
    return out;
  }
}
