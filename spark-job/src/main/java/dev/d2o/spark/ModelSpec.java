package dev.d2o.spark;

import ai.djl.Device;
import dev.d2o.model.LoadOptions;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import java.io.Serializable;
import java.util.List;

/**
 * Which model a task needs and how it is held in memory: the directory, {@code model.dtype}, {@code
 * model.device} and {@code model.deviceMemoryGb}, and whether tasks change its weights (a full
 * fine-tuning policy replica) or only read them. Small and serializable, for task closures; {@link
 * ModelCache} keys its models by what this resolves to in a JVM.
 *
 * @param location the model directory (any Hadoop URI)
 * @param dtype {@code model.dtype}
 * @param devices {@code model.device}
 * @param deviceMemoryGb {@code model.deviceMemoryGb} (0 = each device's default)
 * @param mutable whether tasks overwrite the weights (then F32 and never shared with readers)
 */
public record ModelSpec(
    String location, String dtype, String devices, double deviceMemoryGb, boolean mutable)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The frozen model at {@code location} as {@code cfg} stores and places models. */
  public static ModelSpec frozen(JobConfig cfg, String location) {
    return new ModelSpec(
        location,
        cfg.get(Keys.MODEL_DTYPE),
        cfg.get(Keys.MODEL_DEVICE),
        cfg.get(Keys.MODEL_DEVICE_MEMORY_GB),
        false);
  }

  /** A model that tasks train in place: always F32 (AdamW's master weights are F32). */
  public static ModelSpec trainable(JobConfig cfg, String location) {
    return new ModelSpec(
        location,
        "float32",
        cfg.get(Keys.MODEL_DEVICE),
        cfg.get(Keys.MODEL_DEVICE_MEMORY_GB),
        true);
  }

  /** A frozen model on the default settings ({@code auto} everything). */
  public static ModelSpec frozen(String location) {
    return new ModelSpec(location, "auto", "auto", 0, false);
  }

  /** How to load it in this JVM (devices resolved for the running task). */
  LoadOptions options(List<Device> resolved) {
    long[] budgets = null;
    if (deviceMemoryGb > 0) {
      budgets = new long[resolved.size()];
      java.util.Arrays.fill(budgets, (long) (deviceMemoryGb * 1e9));
    }
    return new LoadOptions(dtype, resolved, budgets);
  }
}
