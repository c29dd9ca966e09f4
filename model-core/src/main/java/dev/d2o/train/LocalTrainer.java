package dev.d2o.train;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Single-process training over in-memory rows: the reference trajectory that the distributed
 * trainer must match. Each step is the gradient of the mean loss over the global batch (summed over
 * {@code microBatches} pieces, which is the same as one large batch) → global-norm clip → AdamW →
 * new weights, with the same {@link GradientComputer} and {@link TrainerState} the Spark pipeline
 * uses.
 *
 * <p>The data order is a per-epoch shuffle seeded by (seed, epoch), so the position in the data is
 * a function of the examples consumed and a resumed run reads the same batches as an uninterrupted
 * one.
 */
public final class LocalTrainer {
  private static final Logger LOG = LoggerFactory.getLogger(LocalTrainer.class);

  private final CausalLM policy;
  private final TrainConfig config;
  private final TrainerState state;
  private final GradientComputer computer;
  private DataOrder order;

  /**
   * Starts training {@code policy} (its trainable weights are read once; the trainer updates them
   * in place). A model with adapters ({@link CausalLM#withAdapters}) trains only its adapters.
   */
  public LocalTrainer(CausalLM policy, TrainConfig config) {
    this(
        policy,
        config,
        new TrainerState(
            new ArrayList<>(policy.trainableParameters().keySet()), weightsOf(policy), config));
  }

  private LocalTrainer(CausalLM policy, TrainConfig config, TrainerState state) {
    this.policy = policy;
    this.config = config;
    this.state = state;
    this.computer = new GradientComputer(policy, config.loss(), config.get(TrainConfig.CHUNK_SIZE));
    computer.setWeights(state.weightsVersion(), state.weights());
    LOG.info(
        "training {} ({} parameters{}) from step {} with {} (hash {})",
        policy.config().modelType(),
        policy.config().parameterCount(),
        policy.adapters() == null ? "" : ", " + policy.adapters(),
        state.step(),
        config,
        config.hash());
  }

  /**
   * Continues from a checkpoint (see {@link CheckpointReader#load}); the restored model is the
   * policy.
   */
  public static LocalTrainer resume(
      Path checkpoint, TrainConfig config, boolean force, NDManager manager) {
    return resume(checkpoint, null, config, force, manager);
  }

  /**
   * As {@link #resume(Path, TrainConfig, boolean, NDManager)}; an adapter checkpoint's base is
   * {@code baseModel}.
   */
  public static LocalTrainer resume(
      Path checkpoint, Path baseModel, TrainConfig config, boolean force, NDManager manager) {
    CheckpointReader.Restored r =
        CheckpointReader.load(checkpoint, config, force, manager, baseModel);
    return new LocalTrainer(r.model(), config, r.state());
  }

  /** One optimizer step on {@code globalBatch}. */
  public StepResult step(List<TrainExample> globalBatch) {
    int pieces = Math.min(config.get(TrainConfig.MICRO_BATCHES), globalBatch.size());
    long start = System.nanoTime();
    GradientSums sums = GradientSums.zero();
    for (int i = 0; i < pieces; i++) { // gradient accumulation: sums over micro-batches
      int from = globalBatch.size() * i / pieces;
      int to = globalBatch.size() * (i + 1) / pieces;
      long t0 = System.nanoTime();
      computer.add(sums, globalBatch.subList(from, to));
      sums.addComputeSeconds((System.nanoTime() - t0) / 1e9);
    }
    StepResult r = state.apply(sums, (System.nanoTime() - start) / 1e9);
    if (!r.skipped()) {
      computer.setWeights(state.weightsVersion(), state.weights());
    }
    LOG.info("step {}: {}", r.step(), r.metrics());
    return r;
  }

  /**
   * Runs {@code steps} steps over {@code dataset}, checkpointing every {@code checkpointEvery}
   * steps and at the end.
   */
  public List<StepResult> train(List<TrainExample> dataset, int steps, Checkpoints checkpoints)
      throws IOException {
    List<StepResult> out = new ArrayList<>(steps);
    int every = config.get(TrainConfig.CHECKPOINT_EVERY);
    for (int i = 0; i < steps; i++) {
      out.add(step(nextBatch(dataset)));
      boolean last = i == steps - 1;
      if (checkpoints != null && (last || (every > 0 && state.step() % every == 0))) {
        checkpoint(checkpoints, dataset.size());
      }
    }
    return out;
  }

  /**
   * The next global batch of {@code dataset} at the current data position (it does not advance it).
   */
  public List<TrainExample> nextBatch(List<TrainExample> dataset) {
    if (order == null || order.size() != dataset.size()) {
      order = new DataOrder(config.get(TrainConfig.SEED), dataset.size());
    }
    List<TrainExample> batch = new ArrayList<>();
    for (int i : order.batch(state.consumedExamples(), config.get(TrainConfig.BATCH_SIZE))) {
      batch.add(dataset.get(i));
    }
    return batch;
  }

  /**
   * Writes a checkpoint of the current state, then prunes the old ones; {@code datasetSize} locates
   * the data position.
   */
  public Path checkpoint(Checkpoints checkpoints, int datasetSize) throws IOException {
    Map<String, Object> position = new LinkedHashMap<>();
    position.put("epoch", state.consumedExamples() / datasetSize);
    position.put("offset", state.consumedExamples() % datasetSize);
    position.put("dataset_size", datasetSize);
    Checkpoints.Lora lora =
        policy.adapters() == null ? null : new Checkpoints.Lora(policy.adapters().config(), "");
    Path saved = checkpoints.save(policy.config(), null, state, config, position, lora);
    checkpoints.prune(); // complete once renamed into place
    return saved;
  }

  private static float[][] weightsOf(CausalLM model) {
    return model.trainableParameters().values().stream()
        .map(a -> a.toFloatArray())
        .toArray(float[][]::new);
  }

  /** The policy (its weights follow the master weights after every applied step). */
  public CausalLM policy() {
    return policy;
  }

  /** The driver state. */
  public TrainerState state() {
    return state;
  }

  /** The gradient computer over the policy. */
  public GradientComputer computer() {
    return computer;
  }
}
