package dev.d2o.spark.stages;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.error.D2oException;
import dev.d2o.spark.ClusterEvents;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.io.Console;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.RunDir;
import dev.d2o.train.StepResult;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole run: input → anchors → train (→ evaluate), every output under one run directory, with a
 * run summary ({@code summary.json}) that counts what was read, rejected and trained on, and what
 * the cluster did (executors lost, task attempts retried: {@link ClusterEvents}).
 */
public final class Pipeline {
  private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
  private static final ObjectMapper JSON = new ObjectMapper();

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
    LOG.info("effective configuration:\n{}", cfg.render());
    ClusterEvents events = new ClusterEvents();
    spark.sparkContext().addSparkListener(events);
    try (RunDir run =
        RunDir.open(
            cfg.get(Keys.RUN_DIR),
            cfg,
            resume,
            overwrite,
            spark.sparkContext().hadoopConfiguration())) {
      ObjectNode summary = JSON.createObjectNode();
      summary.put("run_dir", run.root().toString());
      summary.put("config_hash", cfg.trainingHash());
      long t0 = System.nanoTime();
      if (stage == Stage.SFT) {
        sft(spark, cfg, run, resume, summary);
        run.write(
            "summary.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
        return summary;
      }
      Dataset<Row> anchors;
      if (resume && run.exists("anchors/_SUCCESS")) {
        anchors = spark.read().parquet(run.path("anchors").toString());
        summary.put("anchors", "reused " + run.path("anchors"));
      } else if (stage == Stage.TRAIN) {
        throw new dev.d2o.error.InputException(
            "no anchors in " + run.path("anchors") + ": run the anchors stage first");
      } else {
        InputData.Loaded in =
            input != null
                ? InputData.fromDataset(input, "the input data set", run.path("rejects").toString())
                : InputData.load(
                    spark,
                    cfg.get(Keys.DATA_INPUT),
                    cfg.get(Keys.DATA_FORMAT),
                    run.path("rejects").toString());
        summary.put("input_rows", in.total());
        summary.put("rejected_rows", in.rejectedCount());
        summary.set("rejected_by_reason", JSON.valueToTree(in.rejected()));
        if (in.rejectedCount() > 0) {
          Console.linef(
              "input: %d rows, %d rejected %s -> %s",
              in.total(), in.rejectedCount(), in.rejected(), run.path("rejects"));
        }
        Dataset<Row> valid = in.valid();
        int maxRows = cfg.get(Keys.DATA_MAX_ROWS);
        if (maxRows > 0 && in.total() - in.rejectedCount() > maxRows) {
          valid = valid.orderBy("id").limit(maxRows);
          summary.put("unused_rows (data.maxRows)", in.total() - in.rejectedCount() - maxRows);
        }
        int partitions = cfg.get(Keys.RUN_PARTITIONS);
        if (partitions > 0) {
          valid = valid.repartition(partitions);
        }
        anchors = AnchorsStage.run(spark, cfg, valid, run.path("anchors").toString());
      }
      summary.put("anchor_rows", anchors.count());
      summary.put("seconds_anchors", (System.nanoTime() - t0) / 1e9);
      if (stage != Stage.ANCHORS) {
        long t1 = System.nanoTime();
        TrainData<AnchorRow> data = TrainData.of(anchors, cfg.get(Keys.RUN_PARTITIONS));
        TrainStage.Result r = new TrainStage(spark, cfg, run).run(data, resume);
        data.release();
        summary.put("steps", r.steps().size());
        summary.put("final_model", r.finalModel());
        if (!r.steps().isEmpty()) {
          StepResult last = r.steps().get(r.steps().size() - 1);
          summary.set("last_step", JSON.valueToTree(last.metrics()));
        }
        summary.put("seconds_train", (System.nanoTime() - t1) / 1e9);
        if (cfg.get(Keys.EVAL_ENABLED) && !cfg.get(Keys.DATA_EVAL).isEmpty()) {
          long t2 = System.nanoTime();
          var e =
              EvaluateStage.heldOut(
                  spark,
                  cfg,
                  r.finalModel(),
                  cfg.get(Keys.MODEL_PATH),
                  run.path("eval").toString(),
                  run.path(Metrics.FILE).toString());
          summary.set(
              "eval",
              JSON.valueToTree(
                  java.util.Map.of(
                      "prompts", e.prompts(), "report", run.path("eval/report.md").toString())));
          summary.put("seconds_evaluate", (System.nanoTime() - t2) / 1e9);
          Console.linef(
              "evaluate: %d held-out prompts, before (reference) and after (policy):", e.prompts());
          for (String line :
              HadoopFiles.readString(run.path("eval/report.md"), run.conf()).split("\n")) {
            if (line.startsWith("|")) {
              Console.line(line);
            }
          }
          Console.line("report with plots: " + run.path("eval/report.html"));
        }
      }
      summary.set("cluster", JSON.valueToTree(events.summary()));
      run.write("summary.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(summary));
      return summary;
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    } catch (
        Exception
            e) { // SparkException is checked in Java but thrown undeclared by Spark's Scala code
      throw surface(e);
    } finally {
      spark.sparkContext().removeSparkListener(events);
    }
  }

  private static void sft(
      SparkSession spark, JobConfig cfg, RunDir run, boolean resume, ObjectNode summary) {
    long t0 = System.nanoTime();
    InputData.Loaded in = SftData.load(spark, cfg, run.path("rejects").toString());
    summary.put("input_rows", in.total());
    summary.put("rejected_rows", in.rejectedCount());
    summary.set("rejected_by_reason", JSON.valueToTree(in.rejected()));
    TrainData<dev.d2o.train.SftExample> data =
        TrainData.index(
            SftData.tokenize(in.valid(), cfg, new dev.d2o.spark.io.SerializableConf(run.conf())),
            cfg.get(Keys.RUN_PARTITIONS));
    TrainStage.Result r = new TrainStage(spark, cfg, run, true).run(data, resume);
    data.release();
    summary.put("steps", r.steps().size());
    summary.put("final_model", r.finalModel());
    if (!r.steps().isEmpty()) {
      summary.set("last_step", JSON.valueToTree(r.steps().get(r.steps().size() - 1).metrics()));
    }
    summary.put("seconds_sft", (System.nanoTime() - t0) / 1e9);
  }

  /**
   * A Spark job that failed on an executor arrives as a {@code SparkException} wrapping the task's
   * exception; when that is one of the project's own (bad input, model, configuration, training),
   * it is rethrown as itself, so the user reads its message (naming the row or file) rather than
   * Spark's stage-failure text. The Spark exception is kept as a suppressed exception.
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
