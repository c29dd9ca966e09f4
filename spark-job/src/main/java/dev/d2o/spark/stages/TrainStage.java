package dev.d2o.spark.stages;

import dev.d2o.error.InputException;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.PeftAdapter;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.PolicyReplica;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.CheckpointStore;
import dev.d2o.spark.io.Console;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.RunDir;
import dev.d2o.spark.io.SerializableConf;
import dev.d2o.train.CheckpointReader;
import dev.d2o.train.Checkpoints;
import dev.d2o.train.DataOrder;
import dev.d2o.train.GradientSums;
import dev.d2o.train.LossConfig;
import dev.d2o.train.SftExample;
import dev.d2o.train.StepResult;
import dev.d2o.train.TrainConfig;
import dev.d2o.train.TrainExample;
import dev.d2o.train.TrainException;
import dev.d2o.train.TrainStoppedException;
import dev.d2o.train.TrainerState;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import scala.Tuple2;

/**
 * The {@code train} stage: synchronous data parallelism with driver-aggregated gradients. The
 * driver owns the master fp32 weights and the AdamW state ({@link TrainerState}); each step the
 * executors holding the step's global batch compute gradient sums with their cached replica ({@link
 * PolicyReplica}) and return them through {@code treeAggregate}; the driver averages, clips, steps
 * AdamW and publishes the new weights as a versioned broadcast. The gradient work is a pure
 * function of (weights version, rows), so task retries are safe, and the trajectory equals
 * model-core's single-process {@code LocalTrainer} on the same global batches. With LoRA ({@code
 * lora.rank > 0}) the driver's state, the broadcasts and the gradient sums hold the adapters only.
 */
public final class TrainStage {
  private static final Logger LOG = LoggerFactory.getLogger(TrainStage.class);

  /** What a gradient task needs: small and serializable; the weights travel in a broadcast. */
  record Spec(
      String modelPath,
      SerializableConf conf,
      String loss,
      double beta,
      double alpha,
      int k,
      int chunk,
      String runId,
      boolean sft,
      LoraConfig lora,
      String device)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    PolicyReplica replica() {
      return PolicyReplica.of(
          modelPath, lora, LossConfig.of(loss, beta, alpha, k), chunk, conf.get(), device);
    }

    /**
     * The gradient work of one chunk of rows (anchor rows for D²O, SFT rows for the next-token
     * loss).
     */
    @SuppressWarnings("unchecked")
    GradientSums work(long version, PolicyReplica.WeightsSource weights, List<?> rows) {
      if (sft) {
        return replica().computeSft(runId, version, weights, (List<SftExample>) rows);
      }
      List<TrainExample> examples =
          ((List<AnchorRow>) rows).stream().map(TrainData::toExample).toList();
      return replica().compute(runId, version, weights, examples);
    }
  }

  /** The outcome: every step's result and where the final model is. */
  public record Result(List<StepResult> steps, String finalModel) {}

  private final SparkSession spark;
  private final JobConfig cfg;
  private final TrainConfig tc;
  private final RunDir run;
  private final Metrics metrics;

  private final boolean sft;

  public TrainStage(SparkSession spark, JobConfig cfg, RunDir run) {
    this(spark, cfg, run, false);
  }

  /**
   * A train stage with the next-token loss on SFT rows when {@code sft}, else D²O on anchor rows.
   */
  public TrainStage(SparkSession spark, JobConfig cfg, RunDir run, boolean sft) {
    this.sft = sft;
    this.spark = spark;
    this.cfg = cfg;
    this.tc = cfg.trainConfig();
    this.run = run;
    this.metrics = new Metrics(run);
  }

  /**
   * Trains on {@code data} to {@code train.maxSteps}, resuming from the newest checkpoint when
   * {@code resume}.
   */
  public Result run(TrainData<?> data, boolean resume) {
    int batchSize = tc.get(TrainConfig.BATCH_SIZE);
    if (data.size() < batchSize) {
      throw new InputException(
          "the training data has "
              + data.size()
              + " valid rows, fewer than one batch"
              + " (train.batchSize = "
              + batchSize
              + ")");
    }
    String modelPath = cfg.get(Keys.MODEL_PATH);
    java.nio.file.Path localModel =
        HadoopFiles.localModelDir(
            modelPath,
            java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "d2o-model-cache"),
            run.conf());
    CheckpointStore store = new CheckpointStore(run);
    LoraConfig lora = cfg.lora();
    try (ai.djl.ndarray.NDManager manager = ai.djl.ndarray.NDManager.newBaseManager()) {
      TrainerState state;
      dev.d2o.model.ModelConfig modelConfig;
      if (resume && store.latest().isPresent()) {
        CheckpointReader.Restored r =
            CheckpointReader.load(store.latest().get(), tc, false, manager, localModel);
        LoraConfig saved = r.model().adapters() == null ? null : r.model().adapters().config();
        if (!java.util.Objects.equals(saved, lora)) {
          throw new InputException(
              "checkpoint "
                  + store.latest().get()
                  + " was trained with LoRA "
                  + saved
                  + " but the configuration asks for "
                  + lora
                  + " (lora.*)");
        }
        state = r.state();
        modelConfig = r.model().config();
        metrics.truncateTo(state.step());
        LOG.info("resuming from {} at step {}", store.latest().get(), state.step());
      } else {
        try (Pretrained p = Pretrained.load(localModel, manager)) {
          modelConfig = p.model().config();
          state = initialState(p.model(), lora, manager);
        }
      }
      Spec spec =
          new Spec(
              modelPath,
              new SerializableConf(run.conf()),
              tc.get(TrainConfig.LOSS),
              tc.get(TrainConfig.BETA),
              tc.get(TrainConfig.ALPHA),
              tc.get(TrainConfig.K),
              tc.get(TrainConfig.CHUNK_SIZE),
              UUID.randomUUID().toString(),
              sft,
              lora,
              cfg.get(Keys.MODEL_DEVICE));
      List<StepResult> results = loop(data, spec, state, store, modelConfig, localModel);
      String finalModel = saveFinal(state, modelConfig, localModel, manager);
      return new Result(results, finalModel);
    }
  }

  /**
   * The driver's starting state: every weight of the model, or, with LoRA, fresh adapters (B = 0, A
   * seeded by {@code run.seed}) and nothing of the base.
   */
  private TrainerState initialState(
      CausalLM base, LoraConfig lora, ai.djl.ndarray.NDManager manager) {
    if (lora == null) {
      return new TrainerState(new ArrayList<>(base.parameters().keySet()), weightsOf(base), tc);
    }
    try (CausalLM policy =
        base.withAdapters(
            LoraAdapters.init(base.config(), lora, cfg.get(Keys.RUN_SEED), manager))) {
      LOG.info(
          "LoRA {} on {}: {} trainable of {} parameters ({} %)",
          lora,
          base.config().modelType(),
          policy.adapters().size(),
          base.config().parameterCount(),
          String.format("%.3f", 100.0 * policy.adapters().size() / base.config().parameterCount()));
      return new TrainerState(
          new ArrayList<>(policy.trainableParameters().keySet()), weightsOf(policy), tc);
    }
  }

  private List<StepResult> loop(
      TrainData<?> data,
      Spec spec,
      TrainerState state,
      CheckpointStore store,
      dev.d2o.model.ModelConfig modelConfig,
      java.nio.file.Path localModel) {
    int maxSteps = tc.get(TrainConfig.MAX_STEPS);
    int every = tc.get(TrainConfig.CHECKPOINT_EVERY);
    DataOrder order = new DataOrder(tc.get(TrainConfig.SEED), (int) data.size());
    Checkpoints checkpoints =
        new Checkpoints(store.localRoot(), tc.get(TrainConfig.KEEP_CHECKPOINTS));
    List<StepResult> results = new ArrayList<>();
    HarmfulProbe probe =
        sft ? null : HarmfulProbe.of(spark, cfg, run.path("rejects-eval").toString());
    int probeEvery = cfg.get(Keys.EVAL_EVERY);
    if (cfg.get(Keys.REFERENCE_UPDATE_EVERY) > 0 || cfg.get(Keys.ANCHORS_REFRESH_EVERY) > 0) {
      spark.sparkContext().setCheckpointDir(run.path("spark-checkpoints").toString());
    }
    Broadcast<float[][]> weights = null;
    // broadcasts captured by a refresh closure: a checkpointed RDD still serializes its function,
    // so these live
    // until the end of training (one weights copy per refresh)
    List<Broadcast<float[][]>> pinned = new ArrayList<>();
    long published = -1;
    long start = System.nanoTime();
    long first = state.step();
    while (state.step() < maxSteps) {
      long step = state.step();
      FaultInjection.maybeFailAtStep("driver", step);
      spark.sparkContext().setJobDescription("d2o train step " + (step + 1) + "/" + maxSteps);
      long t0 = System.nanoTime();
      if (state.weightsVersion()
          != published) { // publish: a new version for the replicas to sync to
        if (weights != null && !pinned.contains(weights)) {
          weights.destroy();
        }
        weights =
            spark
                .sparkContext()
                .broadcast(
                    copy(state.weights()), scala.reflect.ClassTag$.MODULE$.apply(float[][].class));
        published = state.weightsVersion();
      }
      TrainData<?> before = data;
      if (!sft) {
        data = refresh(cast(data), spec, step, published, weights);
      }
      if (data != before) {
        pinned.add(weights);
      }
      double sync = (System.nanoTime() - t0) / 1e9;
      double harmfulRate =
          probe != null && step % probeEvery == 0
              ? probe.harmfulRate(spec, published, weights)
              : Double.NaN; // the policy after `step` updates, before this one
      GradientSums sums =
          aggregate(
              data,
              spec,
              published,
              weights,
              order.batch(state.consumedExamples(), tc.get(TrainConfig.BATCH_SIZE)));
      double aggregate = (System.nanoTime() - t0) / 1e9 - sync;
      StepResult r;
      try {
        r = state.apply(sums, aggregate);
      } catch (TrainStoppedException stop) { // the stopping step is recorded too, then the run ends
        record(stop.last(), aggregate, sync, harmfulRate, maxSteps, first, start);
        throw stop;
      }
      results.add(record(r, aggregate, sync, harmfulRate, maxSteps, first, start));
      if ((every > 0 && state.step() % every == 0) || state.step() == maxSteps) {
        checkpoint(checkpoints, store, state, modelConfig, localModel, (int) data.size());
      }
    }
    if (weights != null && !pinned.contains(weights)) {
      weights.destroy();
    }
    pinned.forEach(Broadcast::destroy);
    spark.sparkContext().setJobDescription(null);
    return results;
  }

  /** Adds the timing metrics, appends the step to metrics.jsonl and prints its progress line. */
  private StepResult record(
      StepResult r,
      double aggregate,
      double sync,
      double harmfulRate,
      int maxSteps,
      long first,
      long start) {
    Map<String, Double> m = new LinkedHashMap<>(r.metrics());
    if (sft) { // the reward metrics mean nothing for the next-token loss
      m.keySet().removeIf(k -> k.startsWith("rewards/") || k.startsWith("logps/"));
    }
    m.put("timing/aggregate", aggregate);
    m.put("timing/sync", sync);
    if (!Double.isNaN(harmfulRate)) {
      m.put("eval/harmful_rate", harmfulRate);
    }
    StepResult withTiming = new StepResult(r.step(), r.skipped(), r.reason(), m);
    metrics.append(withTiming);
    progress(withTiming, maxSteps, first, start);
    return withTiming;
  }

  /**
   * One step's gradient sums. The global batch is cut into canonical chunks by batch position
   * (positions [c·chunk, (c+1)·chunk) form chunk c, exactly as the single-process trainer cuts it);
   * the batch's rows are grouped by chunk (a small shuffle of token ids), each chunk is one
   * forward/backward on an executor, and the double-precision sums meet through {@code
   * treeAggregate}. So the step does not depend on partitioning.
   */
  private GradientSums aggregate(
      TrainData<?> data, Spec spec, long version, Broadcast<float[][]> weights, int[] batch) {
    Map<Long, List<Integer>> positions =
        new HashMap<>(); // a row may appear twice across an epoch boundary
    for (int pos = 0; pos < batch.length; pos++) {
      positions.computeIfAbsent((long) batch[pos], k -> new ArrayList<>()).add(pos);
    }
    int chunk = spec.chunk();
    int chunks = (batch.length + chunk - 1) / chunk;
    int parallelism = Math.max(1, Math.min(chunks, spark.sparkContext().defaultParallelism()));
    return data.rows()
        .filter(t -> positions.containsKey(t._1()))
        .flatMapToPair(
            t ->
                positions.get(t._1()).stream()
                    .map(pos -> new Tuple2<>(pos / chunk, new Tuple2<Integer, Object>(pos, t._2())))
                    .iterator())
        .groupByKey(parallelism)
        .mapPartitions(
            it -> {
              FaultInjection.maybeFail("train");
              FaultInjection.maybeDelay("train");
              GradientSums sums = GradientSums.zero();
              while (it.hasNext()) {
                List<Tuple2<Integer, Object>> group = new ArrayList<>();
                it.next()._2().forEach(group::add);
                group.sort(Comparator.comparing(Tuple2::_1));
                List<Object> rows = group.stream().map(Tuple2::_2).toList();
                sums.merge(spec.work(version, weights::value, rows));
              }
              return List.of(sums).iterator();
            })
        .treeAggregate(
            GradientSums.zero(),
            GradientSums::merge,
            GradientSums::merge,
            cfg.get(Keys.TREE_DEPTH));
  }

  /**
   * Applies reference.updateEvery and anchors.refreshEvery at this step (no-op when both are 0).
   */
  @SuppressWarnings("unchecked")
  private static TrainData<AnchorRow> cast(TrainData<?> data) {
    return (TrainData<AnchorRow>) data;
  }

  private TrainData<AnchorRow> refresh(
      TrainData<AnchorRow> data, Spec spec, long step, long version, Broadcast<float[][]> weights) {
    int refEvery = cfg.get(Keys.REFERENCE_UPDATE_EVERY);
    int anchorsEvery = cfg.get(Keys.ANCHORS_REFRESH_EVERY);
    boolean updateRef = step > 0 && refEvery > 0 && step % refEvery == 0;
    boolean newAnchors = step > 0 && anchorsEvery > 0 && step % anchorsEvery == 0;
    if (newAnchors) {
      spark
          .sparkContext()
          .setJobDescription("d2o train step " + step + ": new anchors from the policy");
      AnchorsStage.Spec anchors =
          AnchorsStage.spec(
              spark,
              cfg.with(Keys.RUN_SEED, cfg.get(Keys.RUN_SEED) + (int) step),
              cfg.get(Keys.MODEL_PATH));
      data =
          data.replace(
              Refresh.refreshAnchors(data.rows(), spec, anchors, version, weights, updateRef));
    } else if (updateRef) {
      spark.sparkContext().setJobDescription("d2o train step " + step + ": reference <- policy");
      data = data.replace(Refresh.updateReference(data.rows(), spec, version, weights));
    }
    return data;
  }

  private void checkpoint(
      Checkpoints checkpoints,
      CheckpointStore store,
      TrainerState state,
      dev.d2o.model.ModelConfig modelConfig,
      java.nio.file.Path localModel,
      int datasetSize) {
    Map<String, Object> position = new LinkedHashMap<>();
    position.put("epoch", state.consumedExamples() / datasetSize);
    position.put("offset", state.consumedExamples() % datasetSize);
    position.put("dataset_size", datasetSize);
    try {
      Checkpoints.Lora lora =
          cfg.lora() == null ? null : new Checkpoints.Lora(cfg.lora(), cfg.get(Keys.MODEL_PATH));
      store.publish(checkpoints.save(modelConfig, localModel, state, tc, position, lora));
      store.prune(tc.get(TrainConfig.KEEP_CHECKPOINTS));
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
              + run.path(String.format("checkpoints/checkpoint-%08d", state.step()))
              + ": "
              + cause.getMessage()
              + "; "
              + newest,
          e);
    }
  }

  /**
   * The final model under {@code final/} in the Hugging Face layout; with LoRA that is the base
   * with the adapters merged in, and the adapters alone go to {@code final-adapter/} in PEFT's
   * format.
   */
  private String saveFinal(
      TrainerState state,
      dev.d2o.model.ModelConfig modelConfig,
      java.nio.file.Path localModel,
      ai.djl.ndarray.NDManager manager) {
    LoraConfig lora = cfg.lora();
    java.nio.file.Path local = localOut("final");
    if (lora == null) {
      try (CausalLM model =
          CausalLM.fromWeights(modelConfig, state.names(), state.weights(), manager)) {
        Pretrained.save(model, local, localModel);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot save the final model to " + local, e);
      }
      return publish(local, "final");
    }
    java.nio.file.Path adapter = localOut("final-adapter");
    try (Pretrained base = Pretrained.load(localModel, manager);
        LoraAdapters adapters =
            LoraAdapters.fromWeights(modelConfig, lora, state.names(), state.weights(), manager);
        CausalLM merged = adapters.merge(base.model(), manager)) {
      Pretrained.save(merged, local, localModel);
      PeftAdapter.save(adapters, cfg.get(Keys.MODEL_PATH), adapter);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot save the final model to " + local, e);
    }
    publish(adapter, "final-adapter");
    return publish(local, "final");
  }

  private java.nio.file.Path localOut(String name) {
    try {
      return run.isLocal()
          ? run.local(name)
          : java.nio.file.Files.createTempDirectory("d2o-" + name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Uploads {@code local} to the run directory's {@code name} when the run directory is remote. */
  private String publish(java.nio.file.Path local, String name) {
    org.apache.hadoop.fs.Path dst = run.path(name);
    if (!run.isLocal()) {
      try {
        HadoopFiles.fs(dst, run.conf())
            .copyFromLocalFile(false, true, new org.apache.hadoop.fs.Path(local.toUri()), dst);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot upload " + local + " to " + dst, e);
      }
    }
    return dst.toString();
  }

  private void progress(StepResult r, int maxSteps, long first, long start) {
    long done = r.step() + 1 - first;
    double elapsed = (System.nanoTime() - start) / 1e9;
    double eta = elapsed / done * (maxSteps - r.step() - 1);
    String rewards =
        sft
            ? ""
            : String.format(
                "  margin %+.4f  acc %.2f",
                r.metric("rewards/margins"), r.metric("rewards/accuracies"));
    String line =
        String.format(
            "step %d/%d  loss %.4f%s  grad_norm %.3f  %.0f tok/s  eta %s%s",
            r.step() + 1,
            maxSteps,
            r.metric("loss"),
            rewards,
            r.metric("grad_norm"),
            r.metric("tokens_per_s"),
            duration(eta),
            r.skipped() ? "  SKIPPED: " + r.reason() : "");
    Console.line(line);
  }

  private static String duration(double s) {
    long sec = Math.round(s);
    return sec >= 3600
        ? String.format("%dh%02dm", sec / 3600, sec % 3600 / 60)
        : String.format("%dm%02ds", sec / 60, sec % 60);
  }

  private static float[][] copy(float[][] w) {
    float[][] out = new float[w.length][];
    for (int i = 0; i < w.length; i++) {
      out[i] = w[i].clone();
    }
    return out;
  }

  static float[][] weightsOf(CausalLM model) {
    return model.trainableParameters().values().stream()
        .map(a -> a.toFloatArray())
        .toArray(float[][]::new);
  }
}
