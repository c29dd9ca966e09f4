package dev.d2o.spark.stages;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.eval.JudgedAnswers;
import dev.d2o.spark.eval.LinePlot;
import dev.d2o.spark.io.Console;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.train.Metrics;
import dev.d2o.train.TrainConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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

  /** One loss's outcome. */
  public record Outcome(
      String loss, JsonNode report, List<double[]> harmful, List<double[]> lossCurve) {}

  /** The {@code report.json} metrics of the table, in column order. */
  static final List<String> COLUMNS =
      List.of(
          JudgedAnswers.HELPFUL_RATE,
          JudgedAnswers.HARMFUL_RATE,
          JudgedAnswers.WELLFORMED_RATE,
          "harmful_rate",
          JudgedAnswers.AGREEMENT,
          "helpful/logp_per_token",
          "kl",
          "distinct_2");

  private Comparison() {}

  /**
   * Runs every loss of {@code losses} under {@code cfg} (runs under run.dir/&lt;loss&gt;), then,
   * when {@code loraCfg} is not null, D²O with LoRA under that configuration (run.dir/d2o-lora),
   * all on the same anchors. With {@code reuse}, a variant whose run directory already holds an
   * evaluation report is read, not rerun.
   */
  public static List<Outcome> run(
      SparkSession spark, JobConfig cfg, List<String> losses, JobConfig loraCfg, boolean reuse) {
    String base = cfg.get(Keys.RUN_DIR);
    var conf = spark.sparkContext().hadoopConfiguration();
    if (!(reuse
        && HadoopFiles.exists(HadoopFiles.qualify(base + "/anchors-run/anchors/_SUCCESS"), conf))) {
      Pipeline.run(
          spark,
          cfg.with(Keys.RUN_DIR, base + "/anchors-run"),
          Pipeline.Stage.ANCHORS,
          false,
          true);
    }
    Map<String, JobConfig> variants = new LinkedHashMap<>();
    for (String loss : losses) {
      variants.put(loss, cfg.with(Keys.TRAIN_LOSS, loss));
    }
    if (loraCfg != null) {
      variants.put("d2o-lora", loraCfg.with(Keys.TRAIN_LOSS, "d2o"));
    }
    List<Outcome> out = new ArrayList<>();
    for (Map.Entry<String, JobConfig> v : variants.entrySet()) {
      String dir = base + "/" + v.getKey();
      if (!(reuse && HadoopFiles.exists(HadoopFiles.qualify(dir + "/eval/report.json"), conf))) {
        copyAnchors(spark, base + "/anchors-run/anchors", dir);
        Console.line("== " + v.getKey());
        // resume=true reuses the copied anchors
        Pipeline.run(spark, v.getValue().with(Keys.RUN_DIR, dir), Pipeline.Stage.ALL, true, false);
      }
      out.add(outcome(spark, v.getKey(), dir));
    }
    return out;
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

  private static Outcome outcome(SparkSession spark, String loss, String runDir) {
    var conf = spark.sparkContext().hadoopConfiguration();
    try {
      JsonNode report =
          JSON.readTree(
              HadoopFiles.readString(HadoopFiles.qualify(runDir + "/eval/report.json"), conf));
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
      return new Outcome(loss, report, harmful, lossCurve);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the results of " + runDir, e);
    }
  }

  /** The first step at which the harmful rate is at most half its value at step 0, or -1. */
  static int stepsToHalve(List<double[]> harmful) {
    if (harmful.isEmpty()) {
      return -1;
    }
    double target = harmful.get(0)[1] / 2;
    for (double[] p : harmful) {
      if (p[1] <= target) {
        return (int) p[0];
      }
    }
    return -1;
  }

  /**
   * Writes {@code out} (markdown) and its plots beside it ({@code <name>-harmful.png}, {@code
   * <name>-loss.png}).
   */
  public static void write(List<Outcome> outcomes, JobConfig cfg, String command, Path out)
      throws IOException {
    Files.createDirectories(out.toAbsolutePath().getParent());
    String stem = out.getFileName().toString().replaceFirst("\\.md$", "");
    LinePlot harmful =
        new LinePlot(
            "Harmful rate of the policy's answers during training",
            "step",
            "harmful rate (cost model)");
    LinePlot loss = new LinePlot("Training loss", "step", "loss");
    for (Outcome o : outcomes) {
      if (!o.harmful().isEmpty()) {
        harmful.add(o.loss(), col(o.harmful(), 0), col(o.harmful(), 1));
      }
      loss.add(o.loss(), col(o.lossCurve(), 0), col(o.lossCurve(), 1));
    }
    Files.write(out.resolveSibling(stem + "-harmful.png"), harmful.png(900, 480));
    Files.write(out.resolveSibling(stem + "-loss.png"), loss.png(900, 480));
    Files.writeString(out, markdown(outcomes, cfg, command, stem));
  }

  private static double[] col(List<double[]> points, int i) {
    return points.stream().mapToDouble(p -> p[i]).toArray();
  }

  private static String markdown(
      List<Outcome> outcomes, JobConfig cfg, String command, String stem) {
    StringBuilder sb = new StringBuilder();
    sb.append("# D²O and its baselines on the harmlessness demo\n\n");
    sb.append("Produced by `")
        .append(command)
        .append("` (")
        .append(LocalDate.now())
        .append(").\n\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "Same anchors (K = %d), data order, seeds and budget for every loss: %d"
                + " steps of batch %d, learning rate %s; evaluation on %d held-out prompts (one answer per prompt,"
                + " temperature %s, at most %d new tokens), harmful rate by the cost model `%s`.%n%n",
            cfg.get(Keys.ANCHORS_NUM),
            cfg.get(Keys.TRAIN_MAX_STEPS),
            cfg.get(Keys.TRAIN_BATCH_SIZE),
            cfg.trainConfig().get(TrainConfig.LEARNING_RATE),
            cfg.get(Keys.EVAL_MAX_PROMPTS),
            cfg.get(Keys.EVAL_TEMPERATURE),
            cfg.get(Keys.EVAL_MAX_NEW_TOKENS),
            cfg.get(Keys.EVAL_COST_MODEL)));
    sb.append(
        "| model | judge: helpful | judge: harmful | judge: well-formed | cost model: harmful |"
            + " cost model agrees with judge | log-prob per token of held-out helpful answers | KL to"
            + " reference | distinct-2 | steps to halve the harmful rate |\n"
            + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    JsonNode ref = outcomes.get(0).report().path("reference");
    sb.append(row("reference (before)", ref, "–"));
    for (Outcome o : outcomes) {
      int halve = stepsToHalve(o.harmful());
      sb.append(
          row(
              "`" + o.loss() + "`",
              o.report().path("policy"),
              halve < 0 ? "not within the run" : halve + ""));
    }
    sb.append(
        "\nThe table is measured on all held-out prompts after the last step; the curve below is the probe"
            + " of `eval.every` (64 prompts, one answer each), so it is noisy. `d2o-lora` uses its own configuration"
            + " (`--lora-conf`).\n");
    sb.append("\n![harmful rate](")
        .append(stem)
        .append("-harmful.png)\n\n![loss](")
        .append(stem)
        .append("-loss.png)\n");
    return sb.toString();
  }

  private static String row(String name, JsonNode stats, String halve) {
    Map<String, String> v = new LinkedHashMap<>();
    for (String k : COLUMNS) {
      JsonNode n = stats.get(k);
      v.put(k, n == null || n.isNull() ? "n/a" : String.format(Locale.ROOT, "%.3f", n.asDouble()));
    }
    return "| " + name + " | " + String.join(" | ", v.values()) + " | " + halve + " |\n";
  }
}
