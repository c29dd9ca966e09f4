package dev.d2o.spark.stages;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.error.D2oException;
import dev.d2o.error.InputException;
import dev.d2o.spark.ClusterEvents;
import dev.d2o.spark.ProcessMemory;
import dev.d2o.spark.anchors.AnchorsStage;
import dev.d2o.spark.config.EvalKeys;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.CatalogTables;
import dev.d2o.spark.data.InputColumns;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.data.InputOptions;
import dev.d2o.spark.eval.EvalResult;
import dev.d2o.spark.eval.EvaluateStage;
import dev.d2o.spark.io.Console;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.RunDir;
import dev.d2o.spark.io.RunLease;
import dev.d2o.spark.io.SerializableConf;
import dev.d2o.spark.tracking.RunStatus;
import dev.d2o.spark.tracking.RunTracking;
import dev.d2o.spark.tracking.Tracker;
import dev.d2o.spark.train.Metrics;
import dev.d2o.spark.train.SftData;
import dev.d2o.spark.train.TrainData;
import dev.d2o.spark.train.TrainStage;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole run: input → anchors → train (→ evaluate), or sft, every output under one run directory,
 * with a run summary ({@code summary.json}, {@link RunSummary}) that counts what was read, rejected
 * and trained on, and what the cluster did (executors lost, task attempts retried: {@link
 * ClusterEvents}).
 */
public final class Pipeline {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);

  /** Which stages to run. */
  public enum Stage {
    /**
     * Supervised fine-tuning with the next-token loss on (prompt, response) rows: trains a
     * reference model.
     */
    SFT,
    ANCHORS,
    TRAIN,
    ALL
  }

  private Pipeline() {}

  /**
   * Runs {@code stage} of {@code cfg}; returns the summary that is also written to {@code
   * summary.json}.
   */
  public static ObjectNode run(
      SparkSession spark, JobConfig cfg, Stage stage, boolean resume, boolean overwrite) {
    return run(spark, cfg, stage, resume, overwrite, null);
  }

  /**
   * As {@link #run}, on {@code input} (prompt, negative, optional id) instead of {@code data.input}
   * when not null.
   */
  public static ObjectNode run(
      SparkSession spark,
      JobConfig cfg,
      Stage stage,
      boolean resume,
      boolean overwrite,
      Dataset<Row> input) {
    return run(spark, cfg, stage, new RunDir.Mode(resume, overwrite, false), input);
  }

  /**
   * Runs {@code stage} of {@code cfg}, opening the run directory as {@code mode} says; on {@code
   * input} instead of {@code data.input} when not null.
   */
  public static ObjectNode run(
      SparkSession spark, JobConfig cfg, Stage stage, RunDir.Mode mode, Dataset<Row> input) {
    LOG.info("effective configuration:\n{}", cfg.render());
    boolean resume = mode.resume();
    ClusterEvents events = new ClusterEvents();
    spark.sparkContext().addSparkListener(events);
    Tracker tracker = Tracker.noop(); // opened when training starts
    try (ProcessMemory.HeapSampler heap = new ProcessMemory.HeapSampler(50);
        RunDir run =
            RunDir.open(
                cfg.get(Keys.RUN_DIR),
                cfg,
                mode,
                spark.sparkContext().hadoopConfiguration(),
                RunLease.Owner.current(spark.sparkContext()))) {
      RunSummary summary = new RunSummary(run, cfg);
      if (stage == Stage.SFT) {
        tracker = track(cfg, run, resume, summary);
        sft(spark, cfg, run, resume, summary, tracker);
        summary.driverHeap(heap.peak());
        ObjectNode written = summary.write();
        tracker.finish(RunStatus.FINISHED);
        return written;
      }
      if (stage != Stage.ANCHORS) {
        TrainStage.checkResultSize(spark, cfg); // before the anchors stage's work, not after it
      }
      Dataset<Row> anchors = anchors(spark, cfg, run, stage, resume, input, summary);
      if (stage != Stage.ANCHORS) {
        tracker = track(cfg, run, resume, summary);
        TrainStage.Result trained = train(spark, cfg, run, anchors, resume, summary, tracker);
        if (cfg.get(EvalKeys.EVAL_ENABLED) && !cfg.get(Keys.DATA_EVAL).isEmpty()) {
          evaluate(spark, cfg, run, trained, summary, tracker);
        }
      }
      summary.cluster(events);
      summary.driverHeap(heap.peak());
      ObjectNode written = summary.write();
      tracker.finish(RunStatus.FINISHED);
      return written;
    } catch (
        Exception e) { // SparkException is checked in Java, but Scala code throws it undeclared
      tracker.finish(RunStatus.FAILED);
      throw surface(e);
    } finally {
      spark.sparkContext().removeSparkListener(events);
    }
  }

  /** The anchors of this run: reused when resuming, else built from the input. */
  private static Dataset<Row> anchors(
      SparkSession spark,
      JobConfig cfg,
      RunDir run,
      Stage stage,
      boolean resume,
      Dataset<Row> input,
      RunSummary summary) {
    long t0 = System.nanoTime();
    Dataset<Row> anchors;
    if (resume && run.exists("anchors/_SUCCESS")) {
      anchors = spark.read().parquet(run.path("anchors").toString());
      summary.put("anchors", "reused " + run.path("anchors"));
    } else if (stage == Stage.TRAIN) {
      throw new InputException(
          "no anchors in " + run.path("anchors") + ": run the anchors stage first");
    } else {
      anchors =
          AnchorsStage.run(
              spark, cfg, prompts(spark, cfg, run, input, summary), run.path("anchors").toString());
    }
    summary.put("anchor_rows", anchors.count());
    String table = cfg.get(Keys.RUN_ANCHORS_TABLE);
    if (!table.isEmpty() && (!summary.has("anchors") || !CatalogTables.exists(spark, table))) {
      CatalogTables.save(anchors, table); // built now, or reused but not saved before
      summary.put("anchors_table", table);
      Console.line("anchors saved as the table " + table);
    }
    summary.seconds("seconds_anchors", t0);
    return anchors;
  }

  /** The valid input rows to build anchors for ({@code data.maxRows}, {@code run.partitions}). */
  private static Dataset<Row> prompts(
      SparkSession spark, JobConfig cfg, RunDir run, Dataset<Row> input, RunSummary summary) {
    String rejects = run.path("rejects").toString();
    InputOptions opts = InputOptions.of(cfg);
    InputData.Loaded in =
        input != null
            ? InputData.fromDataset(
                input, "the input data set", rejects, InputColumns.NEGATIVES, opts)
            : InputData.load(spark, cfg.get(Keys.DATA_INPUT), rejects, opts);
    summary.input(in);
    if (in.rejectedCount() > 0) {
      Console.linef(
          "input: %d rows, %d rejected %s -> %s",
          in.total(), in.rejectedCount(), in.rejected(), run.path("rejects"));
    }
    Dataset<Row> valid = in.valid();
    long validRows = in.total() - in.rejectedCount();
    int maxRows = cfg.get(Keys.DATA_MAX_ROWS);
    if (maxRows > 0 && validRows > maxRows) {
      valid = valid.orderBy("id").limit(maxRows);
      summary.put("unused_rows (data.maxRows)", validRows - maxRows);
    }
    int partitions = cfg.get(Keys.RUN_PARTITIONS);
    return partitions > 0 ? valid.repartition(partitions) : valid;
  }

  /** The run's experiment tracker (tracking.mlflow.*; none without a URI). */
  private static Tracker track(JobConfig cfg, RunDir run, boolean resume, RunSummary summary) {
    Tracker tracker = RunTracking.open(cfg, run, resume);
    tracker.runId().ifPresent(id -> summary.put("mlflow_run_id", id));
    return tracker;
  }

  private static TrainStage.Result train(
      SparkSession spark,
      JobConfig cfg,
      RunDir run,
      Dataset<Row> anchors,
      boolean resume,
      RunSummary summary,
      Tracker tracker) {
    long t0 = System.nanoTime();
    TrainData<?> data = TrainData.anchors(anchors, cfg.get(Keys.RUN_PARTITIONS));
    TrainStage.Result r = new TrainStage(spark, cfg, run, tracker).run(data, resume);
    data.release();
    summary.trained(r);
    summary.seconds("seconds_train", t0);
    tracker.logArtifactPath("final_model", r.finalModel());
    return r;
  }

  /**
   * Evaluates the final model against the reference, prints the report's table and logs its numbers
   * (as {@code eval/policy/<metric>} and {@code eval/reference/<metric>}, at the last step) and the
   * report's path to the tracker.
   */
  private static void evaluate(
      SparkSession spark,
      JobConfig cfg,
      RunDir run,
      TrainStage.Result trained,
      RunSummary summary,
      Tracker tracker) {
    long t0 = System.nanoTime();
    EvalResult e =
        EvaluateStage.heldOut(
            spark,
            cfg,
            trained.finalModel(),
            cfg.get(Keys.MODEL_PATH),
            run.path("eval").toString(),
            run.path(Metrics.FILE).toString());
    summary.evaluated(e.prompts(), run.path("eval/report.md").toString());
    summary.seconds("seconds_evaluate", t0);
    Map<String, Double> numbers = new LinkedHashMap<>();
    e.policy().asMap().forEach((k, v) -> numbers.put("eval/policy/" + k, v));
    e.reference().asMap().forEach((k, v) -> numbers.put("eval/reference/" + k, v));
    numbers.values().removeIf(v -> v.isNaN()); // not measured (no cost model, no helpful column)
    tracker.logMetrics(cfg.get(Keys.TRAIN_MAX_STEPS), numbers);
    tracker.logArtifactPath("eval_report", run.path("eval/report.html").toString());
    Console.linef(
        "evaluate: %d held-out prompts, before (reference) and after (policy):", e.prompts());
    for (String line : HadoopFiles.readString(run.path("eval/report.md"), run.conf()).split("\n")) {
      if (line.startsWith("|")) {
        Console.line(line);
      }
    }
    Console.line("report with plots: " + run.path("eval/report.html"));
  }

  /** The {@code sft} stage: the next-token loss on the (prompt, response) rows of data.input. */
  private static void sft(
      SparkSession spark,
      JobConfig cfg,
      RunDir run,
      boolean resume,
      RunSummary summary,
      Tracker tracker) {
    if (!cfg.get(Keys.DATA_PRESET).equals("none")) {
      throw new InputException(
          "data.preset = "
              + cfg.get(Keys.DATA_PRESET)
              + " makes D²O rows (prompt, negative); the sft stage reads (prompt, response) rows:"
              + " set data.preset = none (data.columns.prompt and data.columns.negative name the"
              + " prompt and response columns)");
    }
    long t0 = System.nanoTime();
    InputData.Loaded in = SftData.load(spark, cfg, run.path("rejects").toString());
    summary.input(in);
    TrainData<?> data =
        TrainData.sft(
            SftData.tokenize(in.valid(), cfg, new SerializableConf(run.conf())),
            cfg.get(Keys.RUN_PARTITIONS));
    TrainStage.Result r = new TrainStage(spark, cfg, run, tracker).run(data, resume);
    data.release();
    summary.trained(r);
    summary.seconds("seconds_sft", t0);
    tracker.logArtifactPath("final_model", r.finalModel());
  }

  /**
   * A Spark job that failed on an executor arrives as a {@code SparkException} wrapping the task's
   * exception; when that is one of the project's own ({@link D2oException}: bad input, model,
   * configuration, training), it is rethrown as itself, so the user reads its message (naming the
   * row or file) rather than Spark's stage-failure text. The Spark exception is kept as a
   * suppressed exception.
   */
  static RuntimeException surface(Exception e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t != e && t instanceof D2oException own) {
        own.addSuppressed(e);
        return own;
      }
    }
    return Pipeline.<RuntimeException>rethrow(e);
  }

  /**
   * Rethrows {@code e} unchanged, checked or not (the compiler cannot tell; the JVM does not care).
   */
  @SuppressWarnings("unchecked")
  private static <E extends Exception> E rethrow(Exception e) throws E {
    throw (E) e;
  }
}
