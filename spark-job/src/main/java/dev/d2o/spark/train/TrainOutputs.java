package dev.d2o.spark.train;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.PeftAdapter;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.CheckpointStore;
import dev.d2o.spark.io.RunDir;
import dev.d2o.train.Checkpoints;
import dev.d2o.train.TrainConfig;
import dev.d2o.train.TrainException;
import dev.d2o.train.TrainerState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What training leaves in the run directory: a checkpoint every {@code train.checkpointEvery} steps
 * and after the last (model-core writes it atomically and durably on local disk, {@link
 * CheckpointStore} uploads it, marks it complete and only then prunes the old ones and the saved
 * training rows no kept checkpoint needs), and the final model in the Hugging Face layout.
 */
final class TrainOutputs {
  /** The data position's key for the saved rows a checkpoint starts from. */
  static final String ROWS_KEY = "rows";

  private final RunDir run;
  private final JobConfig cfg;
  private final TrainConfig tc;
  private final CheckpointStore store;
  private final Checkpoints checkpoints;
  private final ModelConfig modelConfig;
  private final Path localModel;

  TrainOutputs(RunDir run, JobConfig cfg, CheckpointStore store, TrainStart start) {
    this.run = run;
    this.cfg = cfg;
    this.tc = cfg.trainConfig();
    this.store = store;
    this.checkpoints = new Checkpoints(store.localRoot(), tc.get(TrainConfig.KEEP_CHECKPOINTS));
    this.modelConfig = start.modelConfig();
    this.localModel = start.localModel();
  }

  /**
   * Writes a checkpoint when {@code state} has just finished a checkpoint step or the last step;
   * {@code data} are the rows the next step starts from.
   */
  void checkpointIfDue(TrainerState state, TrainData<?> data) {
    int every = tc.get(TrainConfig.CHECKPOINT_EVERY);
    if ((every > 0 && state.step() % every == 0) || state.step() == tc.get(TrainConfig.MAX_STEPS)) {
      checkpoint(state, data);
    }
  }

  private void checkpoint(TrainerState state, TrainData<?> data) {
    int datasetSize = (int) data.size();
    Map<String, Object> position = new LinkedHashMap<>();
    position.put("epoch", state.consumedExamples() / datasetSize);
    position.put("offset", state.consumedExamples() % datasetSize);
    position.put("dataset_size", datasetSize);
    if (data.source() != null) {
      position.put(ROWS_KEY, data.source()); // refreshed anchors or reference log-probs
    }
    String name = String.format(Locale.ROOT, "checkpoint-%08d", state.step());
    try {
      Checkpoints.Lora lora =
          cfg.lora() == null ? null : new Checkpoints.Lora(cfg.lora(), cfg.get(Keys.MODEL_PATH));
      store.upload(checkpoints.save(modelConfig, localModel, state, tc, position, lora));
      FaultInjection.maybeFailAtStep("checkpoint", state.step()); // tests: a crash right here
      store.markComplete(name);
      store.prune(tc.get(TrainConfig.KEEP_CHECKPOINTS));
      Refresh.pruneRows(run, store.completeNames());
    } catch (IOException | UncheckedIOException e) {
      Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
      String newest =
          store
              .latestName()
              .map(
                  n ->
                      "the newest complete checkpoint is "
                          + run.path("checkpoints/" + n)
                          + "; continue with --resume")
              .orElse("there is no complete checkpoint yet");
      throw new TrainException(
          "checkpoint at step "
              + state.step()
              + " could not be written to "
              + run.path("checkpoints/" + name)
              + ": "
              + cause.getMessage()
              + "; "
              + newest,
          e);
    }
  }

  /**
   * Saves the final model under {@code final/} in the Hugging Face layout and returns where it is;
   * with LoRA that is the base with the adapters merged in, and the adapters alone go to {@code
   * final-adapter/} in PEFT's format.
   */
  String saveFinal(TrainerState state, NDManager manager) {
    LoraConfig lora = cfg.lora();
    Path local = run.localOrStaging("final");
    if (lora == null) {
      try (CausalLM model =
          CausalLM.fromWeights(modelConfig, state.names(), state.weights(), manager)) {
        Pretrained.save(model, local, localModel);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot save the final model to " + local, e);
      }
      return run.upload(local, "final");
    }
    Path adapter = run.localOrStaging("final-adapter");
    try (Pretrained base = Pretrained.load(localModel, manager);
        LoraAdapters adapters =
            LoraAdapters.fromWeights(modelConfig, lora, state.names(), state.weights(), manager);
        CausalLM merged = adapters.merge(base.model(), manager)) {
      Pretrained.save(merged, local, localModel);
      PeftAdapter.save(adapters, cfg.get(Keys.MODEL_PATH), adapter);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the final model to " + local, e);
    }
    run.upload(adapter, "final-adapter");
    return run.upload(local, "final");
  }
}
