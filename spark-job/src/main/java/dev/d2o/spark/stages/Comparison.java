package dev.d2o.spark.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.spark.config.EvalKeys;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.eval.EvaluateStage;
import dev.d2o.spark.eval.JudgedAnswers;
import dev.d2o.spark.io.Console;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.train.Metrics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileUtil;
import org.apache.spark.sql.SparkSession;

/**
 * The paper's comparison in miniature (its Table 1 and training-stability figure): one set of
 * anchors, then the same budget, data order and seeds for each loss, each run evaluated on the
 * held-out prompts. Writes a markdown table and plots of the harmful rate and the loss over
 * training.
 */
public final class Comparison {
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One run's outcome.
   *
   * @param loss the variant (a loss, or {@code d2o-lora})
   * @param value the grid value ({@link Sweep.Point#name()})
   * @param report the {@code report.json} the table shows: the held-out prompts of {@code
   *     data.eval} (for a sweep only the chosen value's, else null)
   * @param validation the {@code report.json} on the validation prompts (sweeps only, else null)
   * @param extra the chosen value's {@code report.json} on {@code --also-eval}, or null
   * @param harmful the probe's harmful rate by step
   * @param lossCurve the training loss by step
   */
  public record Outcome(
      String loss,
      String value,
      JsonNode report,
      JsonNode validation,
      JsonNode extra,
      List<double[]> harmful,
      List<double[]> lossCurve) {
    /** Whether the table shows this run (every run without a sweep, the chosen one with). */
    public boolean shown() {
      return report != null;
    }
  }

  /**
   * What to compare.
   *
   * @param losses the losses, each under {@code cfg}
   * @param loraCfg when not null, D²O with LoRA under this configuration too (row d2o-lora)
   * @param sweep the grid of values each variant runs at
   * @param validationRows training prompts set aside to choose a grid value (sweeps only)
   * @param alsoEval another held-out file the chosen runs are measured on, or null
   * @param reuse read the results of runs whose directory already holds them
   */
  public record Plan(
      List<String> losses,
      JobConfig loraCfg,
      Sweep sweep,
      int validationRows,
      String alsoEval,
      boolean reuse) {}

  private Comparison() {}

  /**
   * Runs every variant of {@code plan} at every grid value under
   * run.dir/&lt;variant&gt;[/&lt;value&gt;], all on the same anchors. With a sweep, the variants
   * train on the training split and are evaluated on the validation split ({@link
   * ValidationSplit}); {@link SelectionRule} chooses each variant's value, and only the chosen run
   * is measured on {@code data.eval}.
   */
  public static List<Outcome> run(SparkSession spark, JobConfig cfg, Plan plan) {
    String base = cfg.get(Keys.RUN_DIR);
    var conf = spark.sparkContext().hadoopConfiguration();
    JobConfig trainCfg = cfg;
    if (plan.sweep().sweeps()) {
      ValidationSplit split =
          ValidationSplit.write(spark, cfg, base + "/split", plan.validationRows());
      // the split holds rows already read as (id, prompt, negative, ...): no preset or mapping
      trainCfg =
          cfg.with(Keys.DATA_INPUT, split.train())
              .with(Keys.DATA_EVAL, split.validation())
              .with(EvalKeys.EVAL_MAX_PROMPTS, (int) split.validationRows())
              .with(Keys.DATA_PRESET, "none")
              .with(Keys.DATA_COLUMN_PROMPT, "prompt")
              .with(Keys.DATA_COLUMN_NEGATIVE, "negative")
              .with(Keys.DATA_COLUMN_ID, "id");
      Console.line(
          "validation: the last "
              + split.validationRows()
              + " training prompts by id choose each loss's value; data.eval is measured once per loss");
    }
    if (!(plan.reuse()
        && HadoopFiles.exists(HadoopFiles.qualify(base + "/anchors-run/anchors/_SUCCESS"), conf))) {
      Pipeline.run(
          spark,
          trainCfg.with(Keys.RUN_DIR, base + "/anchors-run"),
          Pipeline.Stage.ANCHORS,
          false,
          true);
    }
    Map<String, JobConfig> variants = new LinkedHashMap<>();
    for (String loss : plan.losses()) {
      variants.put(loss, trainCfg.with(Keys.TRAIN_LOSS, loss));
    }
    if (plan.loraCfg() != null) {
      JobConfig lora = plan.loraCfg().with(Keys.TRAIN_LOSS, "d2o");
      variants.put(
          "d2o-lora",
          plan.sweep().sweeps()
              ? lora.with(Keys.DATA_INPUT, trainCfg.get(Keys.DATA_INPUT))
                  .with(Keys.DATA_EVAL, trainCfg.get(Keys.DATA_EVAL))
                  .with(EvalKeys.EVAL_MAX_PROMPTS, trainCfg.get(EvalKeys.EVAL_MAX_PROMPTS))
                  .with(Keys.DATA_PRESET, "none")
                  .with(Keys.DATA_COLUMN_PROMPT, "prompt")
                  .with(Keys.DATA_COLUMN_NEGATIVE, "negative")
                  .with(Keys.DATA_COLUMN_ID, "id")
              : lora);
    }
    List<Outcome> out = new ArrayList<>();
    for (Map.Entry<String, JobConfig> v : variants.entrySet()) {
      List<Outcome> runs = new ArrayList<>();
      for (Sweep.Point point : plan.sweep().points(v.getValue())) {
        String dir = base + "/" + v.getKey() + (plan.sweep().sweeps() ? "/" + point.name() : "");
        if (!(plan.reuse()
            && HadoopFiles.exists(HadoopFiles.qualify(dir + "/eval/report.json"), conf))) {
          copyAnchors(spark, base + "/anchors-run/anchors", dir);
          Console.line("== " + v.getKey() + " " + point.name());
          // resume=true reuses the copied anchors
          Pipeline.run(
              spark,
              point.apply(v.getValue()).with(Keys.RUN_DIR, dir),
              Pipeline.Stage.ALL,
              true,
              false);
        }
        runs.add(outcome(spark, v.getKey(), point.name(), dir, plan.sweep().sweeps()));
      }
      out.addAll(plan.sweep().sweeps() ? chosen(spark, cfg, plan, v.getKey(), runs) : runs);
    }
    return out;
  }

  /**
   * The runs of one variant with the chosen one measured on {@code data.eval} (and {@code
   * --also-eval}).
   */
  private static List<Outcome> chosen(
      SparkSession spark, JobConfig cfg, Plan plan, String variant, List<Outcome> runs) {
    List<SelectionRule.Candidate> candidates = new ArrayList<>();
    for (Outcome o : runs) {
      JsonNode p = o.validation().path("policy");
      candidates.add(
          new SelectionRule.Candidate(
              o.value(),
              p.path(JudgedAnswers.HELPFUL_RATE).asDouble(Double.NaN),
              p.path(JudgedAnswers.WELLFORMED_RATE).asDouble(Double.NaN),
              p.path("kl").asDouble(Double.NaN)));
    }
    double refWellformed =
        runs.get(0)
            .validation()
            .path("reference")
            .path(JudgedAnswers.WELLFORMED_RATE)
            .asDouble(Double.NaN);
    var choice = SelectionRule.choose(candidates, refWellformed);
    Console.line(
        variant
            + ": "
            + choice.map(c -> "chose " + c.name()).orElse("no value keeps the well-formed rate"));
    List<Outcome> out = new ArrayList<>();
    for (Outcome o : runs) {
      if (choice.isPresent() && choice.get().name().equals(o.value())) {
        String dir = cfg.get(Keys.RUN_DIR) + "/" + variant + "/" + o.value();
        JsonNode heldOut = measure(spark, cfg, dir, "heldout", cfg.get(Keys.DATA_EVAL), plan);
        JsonNode extra =
            plan.alsoEval() == null
                ? null
                : measure(spark, cfg, dir, "also-eval", plan.alsoEval(), plan);
        out.add(
            new Outcome(
                o.loss(), o.value(), heldOut, o.validation(), extra, o.harmful(), o.lossCurve()));
      } else {
        out.add(o);
      }
    }
    return out;
  }

  /** The chosen run's final model against the reference on {@code evalData}, under dir/name. */
  private static JsonNode measure(
      SparkSession spark, JobConfig cfg, String dir, String name, String evalData, Plan plan) {
    var conf = spark.sparkContext().hadoopConfiguration();
    String report = dir + "/" + name + "/report.json";
    if (!(plan.reuse() && HadoopFiles.exists(HadoopFiles.qualify(report), conf))) {
      EvaluateStage.heldOut(
          spark,
          cfg.with(Keys.DATA_EVAL, evalData),
          read(spark, dir + "/summary.json").path("final_model").asText(),
          cfg.get(Keys.MODEL_PATH),
          dir + "/" + name,
          null);
    }
    return read(spark, report);
  }

  private static JsonNode read(SparkSession spark, String location) {
    var conf = spark.sparkContext().hadoopConfiguration();
    try {
      return JSON.readTree(HadoopFiles.readString(HadoopFiles.qualify(location), conf));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + location, e);
    }
  }

  private static void copyAnchors(SparkSession spark, String from, String runDir) {
    var conf = spark.sparkContext().hadoopConfiguration();
    var src = HadoopFiles.qualify(from);
    var dst = HadoopFiles.qualify(runDir);
    try {
      var fs = HadoopFiles.fs(dst, conf);
      fs.delete(dst, true); // a fresh run for this loss
      fs.mkdirs(dst);
      FileUtil.copy(
          HadoopFiles.fs(src, conf),
          src,
          fs,
          new org.apache.hadoop.fs.Path(dst, "anchors"),
          false,
          conf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy anchors to " + runDir, e);
    }
  }

  private static Outcome outcome(
      SparkSession spark, String loss, String value, String runDir, boolean sweep) {
    var conf = spark.sparkContext().hadoopConfiguration();
    try {
      JsonNode report = read(spark, runDir + "/eval/report.json");
      List<double[]> harmful = new ArrayList<>();
      List<double[]> lossCurve = new ArrayList<>();
      for (String l :
          HadoopFiles.readString(HadoopFiles.qualify(runDir + "/" + Metrics.FILE), conf)
              .split("\n")) {
        if (l.isBlank()) {
          continue;
        }
        JsonNode n = JSON.readTree(l);
        lossCurve.add(new double[] {n.get("step").asDouble(), n.get("loss").asDouble()});
        if (n.has("eval/harmful_rate")) {
          harmful.add(
              new double[] {n.get("step").asDouble(), n.get("eval/harmful_rate").asDouble()});
        }
      }
      return sweep
          ? new Outcome(loss, value, null, report, null, harmful, lossCurve)
          : new Outcome(loss, value, report, null, null, harmful, lossCurve);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the results of " + runDir, e);
    }
  }
}
