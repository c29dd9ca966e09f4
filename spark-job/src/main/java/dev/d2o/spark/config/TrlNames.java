package dev.d2o.spark.config;

import dev.d2o.train.TrainConfig;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * TRL's names for configuration keys whose meaning is the same here (TRL's {@code DPOConfig} and
 * the {@code TrainingArguments} it extends), accepted as aliases in a configuration file and in
 * {@code --set}, so that a TRL user's settings carry over: {@code learning_rate = 5e-7} sets {@code
 * train.learningRate}. Names whose meaning differs are not aliases: {@code
 * per_device_train_batch_size} and {@code gradient_accumulation_steps} (TRL's global batch is their
 * product times the number of devices; here {@code train.batchSize} is the global batch whatever
 * the cluster, which is what makes a distributed run equal a single-process one), {@code
 * lr_scheduler_type} (TRL's {@code constant} ignores warmup), {@code loss_type} (DPO's losses).
 */
public final class TrlNames {
  private static final Map<String, String> ALIASES = new LinkedHashMap<>();

  static {
    alias("learning_rate", Keys.train(TrainConfig.LEARNING_RATE).name());
    alias("beta", Keys.train(TrainConfig.BETA).name());
    alias("max_steps", Keys.TRAIN_MAX_STEPS.name());
    alias("warmup_steps", Keys.train(TrainConfig.WARMUP_STEPS).name());
    alias("weight_decay", Keys.train(TrainConfig.WEIGHT_DECAY).name());
    alias("adam_beta1", Keys.train(TrainConfig.ADAM_BETA1).name());
    alias("adam_beta2", Keys.train(TrainConfig.ADAM_BETA2).name());
    alias("adam_epsilon", Keys.train(TrainConfig.ADAM_EPS).name());
    alias("max_grad_norm", Keys.train(TrainConfig.MAX_GRAD_NORM).name());
    alias("save_steps", Keys.TRAIN_CHECKPOINT_EVERY.name());
    alias("save_total_limit", Keys.train(TrainConfig.KEEP_CHECKPOINTS).name());
    alias("seed", Keys.RUN_SEED.name());
    alias("output_dir", Keys.RUN_DIR.name());
  }

  private static final String GLOBAL_BATCH =
      "TRL's batch per device, whose global batch is it times gradient_accumulation_steps times the"
          + " number of devices; here train.batchSize is the global batch whatever the cluster (that"
          + " is what makes a distributed run equal a single-process one), so set train.batchSize to"
          + " TRL's global batch";

  /** TRL's names that are not aliases, and why (the unknown-key message says it). */
  private static final Map<String, String> NOT_ALIASES =
      Map.of(
          "per_device_train_batch_size",
          GLOBAL_BATCH,
          "gradient_accumulation_steps",
          GLOBAL_BATCH,
          "lr_scheduler_type",
          "TRL's schedule names differ in meaning (its 'constant' ignores warmup): see"
              + " train.schedule",
          "loss_type",
          "TRL's loss_type names DPO's losses: see train.loss");

  private TrlNames() {}

  /** Why TRL's {@code name} is not an alias of a key, when it is one TRL's users would try. */
  public static Optional<String> whyNot(String name) {
    return Optional.ofNullable(NOT_ALIASES.get(name))
        .map(w -> "TRL's " + name + " is no alias: " + w);
  }

  private static void alias(String trl, String key) {
    if (Keys.find(key) == null) {
      throw new IllegalStateException("TRL alias " + trl + " names no key: " + key);
    }
    ALIASES.put(trl, key);
  }

  /** The key TRL's {@code name} stands for, or null when it is not an alias. */
  public static String keyOf(String name) {
    return ALIASES.get(name);
  }

  /** Every alias and its key, in a stable order (the README's table). */
  public static Map<String, String> aliases() {
    return Collections.unmodifiableMap(ALIASES);
  }
}
