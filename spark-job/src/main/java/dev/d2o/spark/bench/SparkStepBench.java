package dev.d2o.spark.bench;

import ai.djl.ndarray.NDManager;
import dev.d2o.bench.BenchShape;
import dev.d2o.bench.ModelBench;
import dev.d2o.bench.Stats;
import dev.d2o.model.CausalLM;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.RunDir;
import dev.d2o.spark.train.TrainData;
import dev.d2o.spark.train.TrainStage;
import dev.d2o.train.LocalTrainer;
import dev.d2o.train.StepResult;
import dev.d2o.train.TrainExample;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The D²O train step through the real {@link TrainStage} (versioned weight broadcast, per-JVM
 * replica, the batch's rows routed to G tasks, their float results added on the driver, driver
 * AdamW) against {@link LocalTrainer} on the same global batch: 2 rows of K = 3 anchors and a
 * negative, 64 + 192 tokens per sequence, one row per chunk, both chunks in one task (G = 1 in
 * local mode). The first step of each is a warm-up (model loading, JIT); on Spark it also routes
 * the rows of all the run's steps (one shuffle per window of steps, see {@code BatchWindow}), so
 * the measured steps are one stage of one task each. Then {@link SparkFloor} measures, in the same
 * session, what a step of that shape costs with no work.
 */
public final class SparkStepBench {
  /** Rows of the global batch (each is 4 sequences × 256 tokens). */
  public static final int ROWS = 2;

  /**
   * Per-step seconds of both, and the Spark stage's own timing split (medians over the measured
   * steps).
   */
  public record Result(
      long parameters,
      int tokensPerStep,
      Stats local,
      Stats spark,
      double sync,
      double aggregate,
      double update,
      double localForwardBackward,
      Overheads overheads,
      SparkFloor floor) {
    /** Spark step over single-process step, fastest of each. */
    public double ratio() {
      return spark.min() / local.min();
    }
  }

  /**
   * Medians over the measured steps of where the Spark step's time went besides the gradient work
   * (seconds; see {@code StepOverheads} and {@link SparkTaskTimes}).
   *
   * @param broadcast the driver publishing the weights ({@code timing/sync})
   * @param replicaSync the task reading the broadcast into its replica
   * @param taskCompute the task's forward/backward
   * @param transport the task rounding its sum to float
   * @param jobOverhead the job's wall time beyond its slowest task's phases: launch, scheduling,
   *     the rows' shuffle, result serialization, storage and fetch
   * @param resultSerialization Spark's result serialization time, summed over the step's tasks
   * @param gettingResult the driver fetching large results, summed over the step's tasks
   * @param deserialize the executors deserializing the tasks, summed
   * @param gc executor JVM garbage collection during the step's tasks, summed
   * @param merge the driver adding the results
   * @param update the driver's clip and AdamW
   * @param stages stages run per step (a stage whose shuffle output exists is skipped)
   * @param tasks tasks run per step
   */
  public record Overheads(
      double broadcast,
      double replicaSync,
      double taskCompute,
      double transport,
      double jobOverhead,
      double resultSerialization,
      double gettingResult,
      double deserialize,
      double gc,
      double merge,
      double update,
      double stages,
      double tasks) {}

  private SparkStepBench() {}

  /** Runs both on {@code shape}; model files and the run directory go under {@code tmp}. */
  public static Result measure(SparkSession spark, BenchShape shape, int iterations, Path tmp)
      throws IOException, InterruptedException {
    Path modelDir = tmp.resolve("model-" + shape.name());
    List<TrainExample> rows;
    Stats local;
    double localFb;
    int[] sizes; // the trainable weights' lengths, for the floor's broadcast
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = ModelBench.randomModel(shape, m)) {
      Pretrained.save(model, modelDir, null);
      rows = ModelBench.rows(model, ROWS, 5);
      LocalTrainer trainer =
          new LocalTrainer(model, config(modelDir, tmp, iterations).trainConfig());
      List<StepResult> steps = new ArrayList<>();
      local = Stats.time(1, iterations, () -> steps.add(trainer.step(rows)));
      localFb = median(steps.subList(1, steps.size()), "timing/forward_backward");
      sizes = Arrays.stream(trainer.state().weights()).mapToInt(w -> w.length).toArray();
    }
    JobConfig cfg = config(modelDir, tmp, iterations);
    List<Row> anchorRows = new ArrayList<>();
    for (TrainExample r : rows) {
      anchorRows.add(
          new AnchorRow(
                  r.id(),
                  "",
                  "",
                  "",
                  null,
                  r.promptIds(),
                  r.negativeIds(),
                  Collections.nCopies(r.k(), ""),
                  r.anchorIds(),
                  r.refLogpAnchors(),
                  r.refLogpNegative())
              .toRow());
    }
    TrainData<?> data =
        TrainData.anchors(spark.createDataFrame(anchorRows, AnchorRow.SCHEMA), ROWS);
    List<StepResult> steps;
    SparkTaskTimes taskTimes = new SparkTaskTimes();
    spark.sparkContext().addSparkListener(taskTimes);
    try (RunDir run =
        RunDir.open(
            cfg.get(Keys.RUN_DIR), cfg, false, true, spark.sparkContext().hadoopConfiguration())) {
      steps = new TrainStage(spark, cfg, run).run(data, false).steps().subList(1, iterations + 1);
      taskTimes.awaitSteps(iterations + 1, 1);
    } finally {
      spark.sparkContext().removeSparkListener(taskTimes);
      data.release();
    }
    Overheads o = overheads(steps, taskTimes, iterations);
    double[] s =
        steps.stream()
            .mapToDouble(
                r ->
                    r.metric("timing/sync")
                        + r.metric("timing/aggregate")
                        + r.metric("timing/update"))
            .toArray();
    return new Result(
        shape.parameters(),
        (int) (ROWS * rows.get(0).tokens()),
        local,
        new Stats(s),
        median(steps, "timing/sync"),
        median(steps, "timing/aggregate"),
        median(steps, "timing/update"),
        localFb,
        o,
        SparkFloor.measure(spark, (int) Math.round(o.tasks()), sizes, Math.max(3, iterations)));
  }

  private static Overheads overheads(List<StepResult> steps, SparkTaskTimes t, int iterations) {
    List<SparkTaskTimes.Step> spark = new ArrayList<>();
    for (int n = 2; n <= iterations + 1; n++) { // the measured steps, 1-based
      spark.add(t.step(n, iterations + 1));
    }
    return new Overheads(
        median(steps, "timing/sync"),
        median(steps, "timing/replica_sync"),
        median(steps, "timing/task_compute"),
        median(steps, "timing/task_transport"),
        median(steps, "timing/job_overhead"),
        median(spark.stream().mapToDouble(SparkTaskTimes.Step::resultSerialization).toArray()),
        median(spark.stream().mapToDouble(SparkTaskTimes.Step::gettingResult).toArray()),
        median(spark.stream().mapToDouble(SparkTaskTimes.Step::deserialize).toArray()),
        median(spark.stream().mapToDouble(SparkTaskTimes.Step::gc).toArray()),
        median(steps, "timing/result_merge"),
        median(steps, "timing/update"),
        median(spark.stream().mapToDouble(SparkTaskTimes.Step::stages).toArray()),
        median(spark.stream().mapToDouble(SparkTaskTimes.Step::tasks).toArray()));
  }

  private static double median(double[] values) {
    return new Stats(values).median();
  }

  private static JobConfig config(Path modelDir, Path tmp, int iterations) {
    return JobConfig.load(
        null,
        List.of(
            "model.path=" + modelDir,
            "run.dir=" + tmp.resolve("run"),
            "anchors.numSamples=" + ModelBench.K,
            "train.batchSize=" + ROWS,
            "train.chunkSize=1",
            "train.maxSteps=" + (iterations + 1),
            "train.schedule=constant",
            "run.partitions=" + ROWS));
  }

  private static double median(List<StepResult> steps, String metric) {
    return new Stats(steps.stream().mapToDouble(r -> r.metric(metric)).toArray()).median();
  }
}
