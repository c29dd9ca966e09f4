package dev.d2o.spark.train;

import dev.d2o.spark.PolicyReplica;
import java.io.Serializable;
import org.apache.spark.broadcast.Broadcast;

/**
 * One published version of the trainable weights: its number and the broadcast that carries it.
 * Tasks capture this; a replica reads the broadcast only when it lags behind {@code version}.
 *
 * @param version the trainer state's weights version
 * @param broadcast the weights, in {@code trainableParameters()} order
 */
record BroadcastWeights(long version, Broadcast<WeightsPayload> broadcast)
    implements PolicyReplica.WeightsSource, Serializable {
  private static final long serialVersionUID = 1L;

  @Override
  public float[][] get() {
    return broadcast.value().weights();
  }
}
