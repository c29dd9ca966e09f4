package dev.d2o.spark.train;

import ai.djl.ndarray.NDManager;
import dev.d2o.error.InputException;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.CheckpointStore;
import dev.d2o.spark.io.Console;
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
 * nothing of the base). The driver keeps only the state's arrays: no model outlives the restore,
 * and a remote checkpoint is downloaded once and deleted after it was read.
 *
 * @param state the driver's master weights and optimizer state
 * @param modelConfig the model's configuration
 * @param localModel the reference model's directory on local disk (downloaded once when remote)
 * @param resumed whether the state came from a checkpoint
 * @param rows the training rows the checkpoint starts from (relative to the run directory), or null
 *     for the rows the stage was given
 * @param note what the start was, for the console and {@code summary.json}
 */
record TrainStart(
    TrainerState state,
    ModelConfig modelConfig,
    Path localModel,
    boolean resumed,
    String rows,
    String note) {
  private static final Logger LOG = LoggerFactory.getLogger(TrainStart.class);

  /** The starting state of {@code cfg}'s run, from the newest checkpoint when {@code resume}. */
  static TrainStart load(JobConfig cfg, RunDir run, CheckpointStore store, boolean resume) {
    TrainConfig tc = cfg.trainConfig();
    Path cache = Path.of(System.getProperty("java.io.tmpdir"), "d2o-model-cache");
    Path localModel = HadoopFiles.localModelDir(cfg.get(Keys.MODEL_PATH), cache, run.conf());
    Optional<Path> latest = resume ? store.latest() : Optional.empty(); // one download if remote
    if (latest.isPresent()) {
      Path checkpoint = latest.get();
      CheckpointReader.RestoredState r;
      try {
        r = CheckpointReader.loadState(checkpoint, tc, false, localModel);
      } finally {
        store.discard(checkpoint);
      }
      if (!Objects.equals(r.lora(), cfg.lora())) {
        throw new InputException(
            "checkpoint "
                + run.path("checkpoints/" + checkpoint.getFileName())
                + " was trained with LoRA "
                + r.lora()
                + " but the configuration asks for "
                + cfg.lora()
                + " (lora.*)");
      }
      String note =
          "resumed from "
              + run.path("checkpoints/" + checkpoint.getFileName())
              + " at step "
              + r.state().step();
      LOG.info(note);
      Console.line("train: " + note);
      String rows = r.dataPosition().path(TrainOutputs.ROWS_KEY).asText(null);
      return new TrainStart(r.state(), r.modelConfig(), localModel, true, rows, note);
    }
    String note = resume ? nothingToResume(run, store) : "started from step 0";
    ModelConfig config = ModelConfig.load(localModel);
    TrainerState state = fresh(localModel, config, cfg.lora(), cfg.get(Keys.RUN_SEED), tc);
    return new TrainStart(state, config, localModel, false, null, note);
  }

  /**
   * What {@code --resume} found when no checkpoint is complete: nothing (a first attempt), or
   * checkpoints cut short, which it says, since the run then starts over from step 0.
   */
  private static String nothingToResume(RunDir run, CheckpointStore store) {
    List<String> incomplete = store.incompleteNames();
    if (incomplete.isEmpty()) {
      String note = "no checkpoint in " + run.path("checkpoints") + ": started from step 0";
      LOG.info(note);
      return note;
    }
    String note =
        "--resume found "
            + String.join(", ", incomplete)
            + " in "
            + run.path("checkpoints")
            + " but no complete checkpoint (none has its "
            + CheckpointStore.MARKER
            + " marker: the run stopped while writing it): started from step 0";
    LOG.warn(note);
    Console.line("train: " + note);
    return note;
  }

  /**
   * A fresh state: every weight of the model, or, with LoRA, fresh adapters (B = 0, A seeded by
   * {@code run.seed}) and nothing of the base, whose weights are then not even read.
   */
  private static TrainerState fresh(
      Path localModel, ModelConfig config, LoraConfig lora, int seed, TrainConfig tc) {
    try (NDManager manager = NDManager.newBaseManager()) {
      if (lora == null) {
        try (Pretrained p = Pretrained.load(localModel, manager)) {
          return new TrainerState(
              new ArrayList<>(p.model().trainableParameters().keySet()),
              weightsOf(p.model().trainableParameters().values()),
              tc);
        }
      }
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
        return new TrainerState(
            new ArrayList<>(adapters.parameters().keySet()),
            weightsOf(adapters.parameters().values()),
            tc);
      }
    }
  }

  private static float[][] weightsOf(java.util.Collection<ai.djl.ndarray.NDArray> arrays) {
    return arrays.stream().map(a -> a.toFloatArray()).toArray(float[][]::new);
  }
}
