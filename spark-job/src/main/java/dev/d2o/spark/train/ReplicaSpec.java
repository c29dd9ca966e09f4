package dev.d2o.spark.train;

import dev.d2o.spark.ModelSpec;
import dev.d2o.spark.PolicyReplica;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.SerializableConf;
import dev.d2o.train.LossConfig;
import dev.d2o.train.TrainConfig;
import java.io.Serializable;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;

/**
 * What an executor task needs to find its policy replica ({@link PolicyReplica}): small and
 * serializable; the weights travel separately, in a broadcast ({@link BroadcastWeights}). The run
 * id tags the weights versions, so a replica left in the JVM by another run re-syncs.
 *
 * @param recipe the replica's model, adapters, loss and pass sizes
 * @param conf the Hadoop configuration (to fetch the model)
 * @param chunk examples per canonical chunk
 * @param runId this run's id
 */
record ReplicaSpec(PolicyReplica.Recipe recipe, SerializableConf conf, int chunk, String runId)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The spec of this run's configuration, with a fresh run id. With LoRA the replica is the frozen
   * base (the anchors stage's reference, the same cached copy); for full fine-tuning it is an F32
   * copy of its own, and the anchors stage's reference is released first unless anchors are
   * refreshed during training (which scores them under it).
   */
  static ReplicaSpec of(JobConfig cfg, TrainConfig tc, Configuration conf) {
    String path = cfg.get(Keys.MODEL_PATH);
    boolean lora = cfg.lora() != null;
    ModelSpec reference = ModelSpec.frozen(cfg, path);
    boolean referenceNeeded = cfg.get(Keys.ANCHORS_REFRESH_EVERY) > 0;
    PolicyReplica.Recipe recipe =
        new PolicyReplica.Recipe(
            lora ? reference : ModelSpec.trainable(cfg, path),
            cfg.lora(),
            LossConfig.of(
                tc.get(TrainConfig.LOSS),
                tc.get(TrainConfig.BETA),
                tc.get(TrainConfig.ALPHA),
                tc.get(TrainConfig.K)),
            tc.get(TrainConfig.CHUNK_SIZE),
            tc.get(TrainConfig.TOKENS_PER_BACKWARD),
            lora || referenceNeeded ? null : reference);
    return new ReplicaSpec(
        recipe,
        new SerializableConf(conf),
        tc.get(TrainConfig.CHUNK_SIZE),
        UUID.randomUUID().toString());
  }

  /** This JVM's replica (built on first use, then cached). */
  PolicyReplica replica() {
    return PolicyReplica.of(recipe, conf.get());
  }
}
