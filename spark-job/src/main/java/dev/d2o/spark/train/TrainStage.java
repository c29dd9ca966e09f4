package dev.d2o.spark.train;

import ai.djl.ndarray.NDManager;
import dev.d2o.error.InputException;
import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.PolicyReplica;
import dev.d2o.spark.ResultSize;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.CheckpointStore;
import dev.d2o.spark.io.RunDir;
import dev.d2o.spark.tracking.Tracker;
import dev.d2o.train.DataOrder;
import dev.d2o.train.StepResult;
import dev.d2o.train.TrainConfig;
import dev.d2o.train.TrainStoppedException;
import dev.d2o.train.TrainerState;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/**
 * The {@code train} stage: synchronous data parallelism with driver-aggregated gradients. The
 * driver owns the master fp32 weights and the AdamW state ({@link TrainerState}); each step it
 * publishes the weights as a versioned broadcast ({@link WeightsPublisher}), the executors holding
 * the step's global batch compute gradient sums with their cached replica ({@link PolicyReplica},
 * {@link GradientStep}), and the driver averages, clips and steps AdamW. The gradient work is a
 * pure function of (weights version, rows), so task retries are safe, and the trajectory equals
 * model-core's single-process {@code LocalTrainer} on the same global batches. With LoRA ({@code
 * lora.rank > 0}) the driver's state, the broadcasts and the gradient sums hold the adapters only.
 * What differs between D²O rows and SFT rows is their {@link RowKind}.
 */
public final class TrainStage {
  /**
   * The outcome of a training stage.
   *
   * @param steps each step's result
   * @param finalModel where the final model is
   * @param start how training started (fresh, resumed from which checkpoint, or what {@code
   *     --resume} found instead)
   * @param gradientTasks G, gradient tasks (and results) per step
   * @param bytesPerStep mean bytes per step of gradient results and weight broadcasts
   * @param executorPeakRssBytes the largest peak resident set of an executor JVM, -1 when unknown
   */
  public record Result(
      List<StepResult> steps,
      String finalModel,
      String start,
      int gradientTasks,
      double bytesPerStep,
      long executorPeakRssBytes) {}

  /**
   * Checks {@code spark.driver.maxResultSize} at start-up, before any stage runs, with the G a
   * fresh run uses (the stage checks again with the G a resumed checkpoint recorded). A model
   * directory without a readable {@code config.json} is left for the stages to report.
   */
  public static void checkResultSize(SparkSession spark, JobConfig cfg) {
    org.apache.spark.SparkContext sc = spark.sparkContext();
    long trainable;
    try {
      trainable = ResultSize.trainable(cfg, sc.hadoopConfiguration());
    } catch (RuntimeException e) {
      return;
    }
    int groups = GradientStep.groups(sc, cfg.get(Keys.train(TrainConfig.GRADIENT_TASKS)));
    ResultSize.check(sc.getConf(), groups, trainable);
  }

  private final SparkSession spark;
  private final JobConfig cfg;
  private final TrainConfig tc;
  private final RunDir run;
  private final Tracker tracker;

  /** The train stage of {@code cfg}, writing under {@code run}. */
  public TrainStage(SparkSession spark, JobConfig cfg, RunDir run) {
    this(spark, cfg, run, Tracker.noop());
  }

  /**
   * As {@link #TrainStage(SparkSession, JobConfig, RunDir)}, logging each step to {@code tracker}.
   */
  public TrainStage(SparkSession spark, JobConfig cfg, RunDir run, Tracker tracker) {
    this.spark = spark;
    this.cfg = cfg;
    this.tc = cfg.trainConfig();
    this.run = run;
    this.tracker = tracker;
  }

  /**
   * Trains on {@code data} to {@code train.maxSteps}, resuming from the newest checkpoint when
   * {@code resume} (with the rows that checkpoint starts from).
   */
  public <R extends Serializable> Result run(TrainData<R> data, boolean resume) {
    int batchSize = tc.get(TrainConfig.BATCH_SIZE);
    if (data.size() < batchSize) {
      throw new InputException(
          "the training data has "
              + data.size()
              + " valid rows, fewer than one batch (train.batchSize = "
              + batchSize
              + ")");
    }
    CheckpointStore store = new CheckpointStore(run);
    TrainStart start = TrainStart.load(cfg, run, store, resume);
    Metrics metrics = new Metrics(run);
    if (start.resumed()) {
      metrics.truncateTo(start.state().step());
    }
    TrainOutputs outputs = new TrainOutputs(run, cfg, store, start);
    StepLog log =
        new StepLog(
            metrics,
            data.kind(),
            tc.get(TrainConfig.MAX_STEPS),
            start.state().step(),
            tracker,
            batchSize / (double) data.size());
    int groups = start.gradientTasks(spark.sparkContext(), tc);
    ReplicaSpec spec =
        ReplicaSpec.of(
            cfg, tc, run.conf(), ReplicaSpec.threadsPerTask(spark.sparkContext(), groups));
    outputs.recordGradientTasks(groups);
    ResultSize.check(spark.sparkContext().getConf(), groups, start.trainableCount());
    Traffic traffic = new Traffic(start.trainableCount());
    List<StepResult> steps;
    try (GradientStep gradients = new GradientStep(spark.sparkContext(), spec, groups, batchSize);
        WeightsPublisher weights = new WeightsPublisher(spark)) {
      TrainContext context =
          new TrainContext(spark, cfg, run, spec, weights, new StepTimes(spark.sparkContext()));
      StepExtras<R> extras = data.kind().extras(context);
      TrainData<R> rows = start.rows() == null ? data : extras.resumed(data, start.rows());
      steps = loop(rows, start.state(), context, extras, gradients, log, outputs, traffic);
    } finally {
      spark.sparkContext().setJobDescription(null);
    }
    try (NDManager manager = NDManager.newBaseManager()) {
      String finalModel = outputs.saveFinal(start.state(), manager);
      return new Result(
          steps,
          finalModel,
          start.note(),
          groups,
          traffic.meanBytesPerStep(),
          traffic.peakRssBytes());
    }
  }

  private <R extends Serializable> List<StepResult> loop(
      TrainData<R> data,
      TrainerState state,
      TrainContext context,
      StepExtras<R> extras,
      GradientStep gradients,
      StepLog log,
      TrainOutputs outputs,
      Traffic traffic) {
    int maxSteps = tc.get(TrainConfig.MAX_STEPS);
    DataOrder order = new DataOrder(tc.get(TrainConfig.SEED), (int) data.size());
    StepTimes times = context.times();
    List<StepResult> results = new ArrayList<>();
    TrainData<R> rows = data;
    try {
      while (state.step() < maxSteps) {
        long step = state.step();
        FaultInjection.maybeFailAtStep("driver", step);
        spark.sparkContext().setJobDescription("d2o train step " + (step + 1) + "/" + maxSteps);
        times.start();
        long t0 = System.nanoTime();
        BroadcastWeights weights = context.weights().publish(state); // the replicas sync to this
        times.put("sync", StepTimes.since(t0));
        rows = extras.refreshed(rows, step, weights).orElse(rows); // times itself
        Map<String, Double> probe = extras.probe(step, weights); // after `step` updates; timed
        long t1 = System.nanoTime();
        GradientStep.Outcome out =
            gradients.sums(rows, weights, order, state.consumedExamples(), (int) (maxSteps - step));
        double aggregate = StepTimes.since(t1);
        times.put("aggregate", aggregate);
        times.putAll(out.overheads().metrics());
        StepResult r;
        try {
          r = traffic.record(state.apply(out.sums(), aggregate), out);
        } catch (
            TrainStoppedException stop) { // the stopping step is recorded too, then the run ends
          log.record(traffic.record(stop.last(), out), times.metrics(), probe);
          throw stop;
        }
        results.add(log.record(r, times.metrics(), probe));
        outputs.checkpointIfDue(state, rows);
      }
    } finally {
      if (rows != data) {
        rows.release(); // rows made during training; the caller releases its own
      }
    }
    return results;
  }
}
