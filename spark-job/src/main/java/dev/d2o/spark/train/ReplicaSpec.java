package dev.d2o.spark.train;

import dev.d2o.model.LoraConfig;
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
 */
record ReplicaSpec(
    String modelPath,
    SerializableConf conf,
    String loss,
    double beta,
    double alpha,
    int k,
    int chunk,
    String runId,
    LoraConfig lora,
    String device)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The spec of this run's configuration, with a fresh run id. */
  static ReplicaSpec of(JobConfig cfg, TrainConfig tc, Configuration conf) {
    return new ReplicaSpec(
        cfg.get(Keys.MODEL_PATH),
        new SerializableConf(conf),
        tc.get(TrainConfig.LOSS),
        tc.get(TrainConfig.BETA),
        tc.get(TrainConfig.ALPHA),
        tc.get(TrainConfig.K),
        tc.get(TrainConfig.CHUNK_SIZE),
        UUID.randomUUID().toString(),
        cfg.lora(),
        cfg.get(Keys.MODEL_DEVICE));
  }

  /** This JVM's replica (built on first use, then cached). */
  PolicyReplica replica() {
    return PolicyReplica.of(
        modelPath, lora, LossConfig.of(loss, beta, alpha, k), chunk, conf.get(), device);
  }
}
