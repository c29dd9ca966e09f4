package dev.d2o.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.PeftAdapter;
import dev.d2o.model.Pretrained;
import dev.d2o.model.SafeTensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resumes from a checkpoint written by {@link Checkpoints}: the model, the optimizer moments and
 * the counters. A checkpoint written with a different trajectory-changing configuration (see {@link
 * TrainConfig#KEYS}) is refused unless forced, and the refusal names every differing key.
 */
public final class CheckpointReader {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointReader.class);

  /**
   * What a checkpoint restores.
   *
   * @param model the policy at the checkpoint (owned by the caller; with adapters, a view over its
   *     base)
   * @param state master weights, optimizer and counters
   * @param dataPosition the data reader's position as it was saved
   */
  public record Restored(CausalLM model, TrainerState state, JsonNode dataPosition) {}

  private CheckpointReader() {}

  /**
   * Loads {@code dir} to continue training under {@code config}.
   *
   * @param force resume even when the saved configuration differs (logged as a warning)
   */
  public static Restored load(Path dir, TrainConfig config, boolean force, NDManager manager) {
    return load(dir, config, force, manager, null);
  }

  /**
   * As {@link #load(Path, TrainConfig, boolean, NDManager)}. An adapter checkpoint restores the
   * base model (from {@code baseModel} when given, else the path it recorded) with the saved
   * adapters: the model is then a view ({@link CausalLM#withAdapters}) whose base lives in {@code
   * manager}, and the state holds the adapters only.
   */
  public static Restored load(
      Path dir, TrainConfig config, boolean force, NDManager manager, Path baseModel) {
    JsonNode json = checkedState(dir, config, force);
    boolean adapter = PeftAdapter.isAdapter(dir);
    Pretrained p = Pretrained.load(adapter ? base(dir, json, baseModel) : dir, manager);
    try {
      CausalLM model =
          adapter
              ? p.model().withAdapters(PeftAdapter.load(dir, p.model().config(), manager))
              : p.model();
      TrainerState state = state(dir, json, config, model.trainableParameters());
      return new Restored(model, state, json.path("data_position"));
    } catch (RuntimeException e) {
      p.close();
      throw e;
    }
  }

  /**
   * What a trainer that keeps no model needs from a checkpoint (the Spark driver): master weights,
   * optimizer state and counters, as plain arrays.
   *
   * @param state master weights, optimizer and counters
   * @param modelConfig the model's configuration (with adapters: the base model's)
   * @param lora the adapters' configuration, or null for a full model
   * @param dataPosition the data reader's position as it was saved
   */
  public record RestoredState(
      TrainerState state, ModelConfig modelConfig, LoraConfig lora, JsonNode dataPosition) {}

  /**
   * As {@link #load(Path, TrainConfig, boolean, NDManager, Path)}, but no model outlives the call:
   * the tensors are read into the state's float arrays and freed. An adapter checkpoint reads only
   * the base model's {@code config.json}, never its weights.
   */
  public static RestoredState loadState(
      Path dir, TrainConfig config, boolean force, Path baseModel) {
    JsonNode json = checkedState(dir, config, force);
    JsonNode position = json.path("data_position");
    try (NDManager m = NDManager.newBaseManager()) {
      if (PeftAdapter.isAdapter(dir)) {
        ModelConfig base = ModelConfig.load(base(dir, json, baseModel));
        try (LoraAdapters a = PeftAdapter.load(dir, base, m)) {
          return new RestoredState(
              state(dir, json, config, a.parameters()), base, a.config(), position);
        }
      }
      try (Pretrained p = Pretrained.load(dir, m)) {
        TrainerState state = state(dir, json, config, p.model().trainableParameters());
        return new RestoredState(state, p.model().config(), null, position);
      }
    }
  }

  /**
   * The trainer state of {@code dir}, refusing one written under another trajectory-changing
   * configuration unless {@code force}.
   */
  private static JsonNode checkedState(Path dir, TrainConfig config, boolean force) {
    if (!Files.isRegularFile(dir.resolve(Checkpoints.STATE))) {
      throw new TrainException(
          "not a complete checkpoint: " + dir + " has no " + Checkpoints.STATE);
    }
    JsonNode json = Checkpoints.readState(dir);
    TrainConfig saved = TrainConfig.fromJson(json.get("config"));
    List<String> diffs = saved.differences(config);
    if (!diffs.isEmpty()) {
      String what =
          "checkpoint "
              + dir
              + " was written with a different training configuration ("
              + String.join(", ", diffs)
              + ")";
      if (!force) {
        throw new TrainException(
            what
                + "; resuming would not continue the same run. Use the saved values, or"
                + " force the resume to train on with the new ones");
      }
      LOG.warn("{}; resuming anyway (forced)", what);
    }
    return json;
  }

  /** A trainer state over copies of {@code trainable}, with the saved moments and counters. */
  private static TrainerState state(
      Path dir, JsonNode json, TrainConfig config, Map<String, NDArray> trainable) {
    List<String> names = new ArrayList<>(trainable.keySet());
    float[][] weights = new float[names.size()][];
    for (int i = 0; i < weights.length; i++) {
      weights[i] = trainable.get(names.get(i)).toFloatArray();
    }
    TrainerState state = new TrainerState(names, weights, config);
    restoreOptimizer(dir, state, json.path("optimizer_steps").asLong());
    state.restore(
        json.path("step").asLong(),
        json.path("consumed_examples").asLong(),
        json.path("weights_version").asLong(),
        json.path("skipped_steps").asLong(),
        json.path("consecutive_skips").asInt());
    return state;
  }

  private static Path base(Path dir, JsonNode json, Path baseModel) {
    if (baseModel != null) {
      return baseModel;
    }
    String recorded = json.path("base_model").asText("");
    if (recorded.isEmpty()) {
      throw new TrainException(
          "adapter checkpoint " + dir + " records no base model: pass the base model directory");
    }
    return Path.of(recorded);
  }

  private static void restoreOptimizer(Path dir, TrainerState state, long steps) {
    List<String> names = state.names();
    float[][] expAvg = new float[names.size()][];
    float[][] expAvgSq = new float[names.size()][];
    try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve(Checkpoints.OPTIMIZER));
        NDManager m = NDManager.newBaseManager()) {
      for (int i = 0; i < names.size(); i++) {
        expAvg[i] = read(f, "exp_avg." + names.get(i), m, state.weights()[i].length);
        expAvgSq[i] = read(f, "exp_avg_sq." + names.get(i), m, state.weights()[i].length);
      }
    }
    state.optimizer().restore(steps, expAvg, expAvgSq);
  }

  private static float[] read(SafeTensorsFile f, String name, NDManager m, int expected) {
    if (!f.entries().containsKey(name)) {
      throw new TrainException("optimizer state " + f.path() + " has no tensor '" + name + "'");
    }
    try (NDArray a = f.loadF32(name, m)) {
      float[] v = a.toFloatArray();
      if (v.length != expected) {
        throw new TrainException(
            "optimizer tensor '"
                + name
                + "' in "
                + f.path()
                + " has "
                + v.length
                + " elements; the model's parameter has "
                + expected);
      }
      return v;
    }
  }
}
