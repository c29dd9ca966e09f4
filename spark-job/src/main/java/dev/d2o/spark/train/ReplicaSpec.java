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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkContext;

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
  private static final Pattern LOCAL = Pattern.compile("local(?:\\[(\\*|\\d+)(?:,\\s*\\d+)?\\])?");

  /**
   * The spec of this run's configuration, with a fresh run id. With LoRA the replica is the frozen
   * base (the anchors stage's reference, the same cached copy); for full fine-tuning it is an F32
   * copy of its own, and the anchors stage's reference is released first unless anchors are
   * refreshed during training (which scores them under it).
   *
   * @param engineThreads each gradient task's engine threads ({@link #threadsPerTask}), 0 for the
   *     JVM's count
   */
  static ReplicaSpec of(JobConfig cfg, TrainConfig tc, Configuration conf, int engineThreads) {
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
            lora || referenceNeeded ? null : reference,
            engineThreads);
    return new ReplicaSpec(
        recipe,
        new SerializableConf(conf),
        tc.get(TrainConfig.CHUNK_SIZE),
        UUID.randomUUID().toString());
  }

  /**
   * Each gradient task's engine threads: with a local master and G > 1 the G tasks of a step run at
   * once in the driver's JVM, so each takes max(1, cores / G) of the master's cores ({@code
   * local[N]}: N; {@code local[*]}: the machine's); 0 (the JVM's count) otherwise: a cluster
   * executor runs one task per {@code spark.task.cpus} = its cores, as deploy/ sets.
   */
  static int threadsPerTask(SparkContext sc, int groups) {
    if (!sc.isLocal() || groups <= 1) {
      return 0;
    }
    return Math.max(1, localCores(sc.master()) / groups);
  }

  /** The cores of a local master: {@code local} 1, {@code local[N]} or {@code local[N, F]} N. */
  static int localCores(String master) {
    Matcher m = LOCAL.matcher(master);
    if (!m.matches()) {
      return 1;
    }
    String n = m.group(1);
    return n == null
        ? 1
        : n.equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(n);
  }

  /** The first replica of this JVM (built on first use, then cached). */
  PolicyReplica replica() {
    return PolicyReplica.of(recipe, conf.get());
  }

  /** A free replica of this JVM for one gradient task; close the lease after. */
  PolicyReplica.Lease borrow() {
    return PolicyReplica.borrow(recipe, conf.get());
  }
}
