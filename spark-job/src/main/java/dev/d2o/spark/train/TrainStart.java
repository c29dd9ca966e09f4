package dev.d2o.spark.train;

import ai.djl.ndarray.NDManager;
import dev.d2o.error.InputException;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.CheckpointStore;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.RunDir;
import dev.d2o.train.CheckpointReader;
import dev.d2o.train.TrainConfig;
import dev.d2o.train.TrainerState;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where training starts: the driver's state restored from the newest complete checkpoint when
 * resuming, else fresh from the reference model (every weight, or with LoRA fresh adapters and
 * nothing of the base).
 *
 * @param state the driver's master weights and optimizer state
 * @param modelConfig the model's configuration
 * @param localModel the reference model's directory on local disk (downloaded once when remote)
 * @param resumed whether the state came from a checkpoint
 * @param recordedGradientTasks G as the checkpoint recorded it, 0 when fresh or not recorded
 */
record TrainStart(
    TrainerState state,
    ModelConfig modelConfig,
    Path localModel,
    boolean resumed,
    int recordedGradientTasks) {
  private static final Logger LOG = LoggerFactory.getLogger(TrainStart.class);

  /** The starting state of {@code cfg}'s run, from the newest checkpoint when {@code resume}. */
  static TrainStart load(
      JobConfig cfg, RunDir run, CheckpointStore store, boolean resume, NDManager manager) {
    TrainConfig tc = cfg.trainConfig();
    Path cache = Path.of(System.getProperty("java.io.tmpdir"), "d2o-model-cache");
    Path localModel = HadoopFiles.localModelDir(cfg.get(Keys.MODEL_PATH), cache, run.conf());
    LoraConfig lora = cfg.lora();
    Optional<Path> latest = resume ? store.latest() : Optional.empty(); // downloads when remote
    if (latest.isPresent()) {
      Path checkpoint = latest.get();
      CheckpointReader.Restored r =
          CheckpointReader.load(checkpoint, tc, false, manager, localModel);
      LoraConfig saved = r.model().adapters() == null ? null : r.model().adapters().config();
      if (!Objects.equals(saved, lora)) {
        throw new InputException(
            "checkpoint "
                + checkpoint
                + " was trained with LoRA "
                + saved
                + " but the configuration asks for "
                + lora
                + " (lora.*)");
      }
      LOG.info("resuming from {} at step {}", checkpoint, r.state().step());
      int groups = r.dataPosition().path(TrainOutputs.GRADIENT_TASKS).asInt(0);
      return new TrainStart(r.state(), r.model().config(), localModel, true, groups);
    }
    if (lora != null) { // fresh adapters need the architecture only, never the base's weights
      ModelConfig config = ModelConfig.load(localModel);
      return new TrainStart(
          freshAdapters(config, lora, cfg.get(Keys.RUN_SEED), tc, manager),
          config,
          localModel,
          false,
          0);
    }
    try (Pretrained p = Pretrained.load(localModel, manager)) {
      TrainerState state =
          new TrainerState(
              new ArrayList<>(p.model().parameters().keySet()), weightsOf(p.model()), tc);
      return new TrainStart(state, p.model().config(), localModel, false, 0);
    }
  }

  /**
   * G of this run: the checkpoint's when resuming (so the sums add up as before), else {@code
   * train.gradientTasks}, else the executors now ({@link GradientStep#groups}).
   */
  int gradientTasks(org.apache.spark.SparkContext sc, TrainConfig tc) {
    if (recordedGradientTasks > 0) {
      return recordedGradientTasks;
    }
    return GradientStep.groups(sc, tc.get(TrainConfig.GRADIENT_TASKS));
  }

  /** Trainable floats: what every gradient result and weights broadcast carries. */
  long trainableCount() {
    long n = 0;
    for (float[] w : state.weights()) {
      n += w.length;
    }
    return n;
  }

  /** Fresh adapters (B = 0, A seeded by {@code run.seed}) on {@code config}'s architecture. */
  private static TrainerState freshAdapters(
      ModelConfig config, LoraConfig lora, int seed, TrainConfig tc, NDManager manager) {
    try (LoraAdapters adapters = LoraAdapters.init(config, lora, seed, manager)) {
      long trainable = adapters.size();
      long all = config.parameterCount();
      LOG.info(
          "LoRA {} on {}: {} trainable of {} parameters ({} %)",
          lora,
          config.modelType(),
          trainable,
          all,
          String.format(Locale.ROOT, "%.3f", 100.0 * trainable / all));
      List<String> names = new ArrayList<>(adapters.parameters().keySet());
      float[][] w =
          adapters.parameters().values().stream()
              .map(a -> a.toFloatArray())
              .toArray(float[][]::new);
      return new TrainerState(names, w, tc);
    }
  }

  private static float[][] weightsOf(CausalLM model) {
    return model.trainableParameters().values().stream()
        .map(a -> a.toFloatArray())
        .toArray(float[][]::new);
  }
}
