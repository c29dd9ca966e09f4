package dev.d2o.spark.stages;

import com.fasterxml.jackson.databind.JsonNode;
import dev.d2o.spark.config.EvalKeys;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.eval.JudgedAnswers;
import dev.d2o.spark.eval.LinePlot;
import dev.d2o.train.TrainConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results file of {@code d2o compare} ({@code docs/results.md}): the table of every shown run
 * on the held-out prompts, with a sweep the frontier of every grid value on the validation prompts
 * (one table and one plot per loss: the judge's helpful and harmful rates against KL to the
 * reference), and the training curves.
 */
public final class ComparisonReport {
  /** The {@code report.json} metrics of the tables, in column order. */
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

  private static final String HEADER =
      " | judge: helpful | judge: harmful | judge: well-formed | cost model: harmful |"
          + " cost model agrees with judge | log-prob per token of held-out helpful answers | KL to"
          + " reference | distinct-2 |";

  private ComparisonReport() {}

  /**
   * Writes {@code out} (Markdown) and its plots beside it ({@code <name>-harmful.png}, {@code
   * <name>-loss.png}, and with a sweep {@code <name>-frontier-<loss>.png}).
   */
  public static void write(
      List<Comparison.Outcome> outcomes, JobConfig cfg, String command, Path out, Sweep sweep)
      throws IOException {
    Files.createDirectories(out.toAbsolutePath().getParent());
    String stem = out.getFileName().toString().replaceFirst("\\.md$", "");
    LinePlot harmful =
        new LinePlot(
            "Harmful rate of the policy's answers during training",
            "step",
            "harmful rate (cost model)");
    LinePlot loss = new LinePlot("Training loss", "step", "loss");
    for (Comparison.Outcome o : outcomes) {
      if (!o.shown()) {
        continue;
      }
      if (!o.harmful().isEmpty()) {
        harmful.add(o.loss(), col(o.harmful(), 0), col(o.harmful(), 1));
      }
      loss.add(o.loss(), col(o.lossCurve(), 0), col(o.lossCurve(), 1));
    }
    Files.write(out.resolveSibling(stem + "-harmful.png"), harmful.png(900, 480));
    Files.write(out.resolveSibling(stem + "-loss.png"), loss.png(900, 480));
    StringBuilder md = new StringBuilder(header(cfg, command, sweep));
    md.append(table(outcomes, false));
    if (sweep.sweeps()) {
      md.append(extra(outcomes)).append(frontier(outcomes, out, stem));
    }
    md.append(
            "\nThe curves below are the probe of `eval.every` (a few prompts, one answer each), so"
                + " they are noisy. `d2o-lora` uses its own configuration (`--lora-conf`).\n")
        .append("\n![harmful rate](")
        .append(stem)
        .append("-harmful.png)\n\n![loss](")
        .append(stem)
        .append("-loss.png)\n");
    Files.writeString(out, md.toString());
  }

  private static String header(JobConfig cfg, String command, Sweep sweep) {
    StringBuilder sb = new StringBuilder("# D²O and its baselines on the harmlessness demo\n\n");
    sb.append("Produced by `")
        .append(command)
        .append("` (")
        .append(LocalDate.now())
        .append(").\n\n");
    sb.append(
        String.format(
            Locale.ROOT,
            "Same anchors (K = %d), data order, seeds and budget for every loss: %d steps of batch"
                + " %d; evaluation on %d held-out prompts (one answer per prompt, temperature %s, at"
                + " most %d new tokens), the exact judge's rates and the cost model `%s`.%n",
            cfg.get(Keys.ANCHORS_NUM),
            cfg.get(Keys.TRAIN_MAX_STEPS),
            cfg.get(Keys.TRAIN_BATCH_SIZE),
            cfg.get(EvalKeys.EVAL_MAX_PROMPTS),
            cfg.get(EvalKeys.EVAL_TEMPERATURE),
            cfg.get(EvalKeys.EVAL_MAX_NEW_TOKENS),
            cfg.get(EvalKeys.EVAL_COST_MODEL)));
    if (sweep.sweeps()) {
      sb.append(
          String.format(
              Locale.ROOT,
              "%nEvery loss ran at every value of the grid (%s). Each loss's value was chosen on"
                  + " the validation prompts (training prompts set aside, never trained on) by a"
                  + " rule fixed in advance: the highest `%s` among the values whose `%s` is at"
                  + " least the reference's minus %.2f; the table shows the chosen runs on the"
                  + " held-out prompts, measured once.%n",
              String.join(", ", sweep.points(cfg).stream().map(Sweep.Point::name).toList()),
              JudgedAnswers.HELPFUL_RATE,
              JudgedAnswers.WELLFORMED_RATE,
              SelectionRule.WELLFORMED_SLACK));
    } else {
      sb.append(
          "\nLearning rate "
              + cfg.trainConfig().get(TrainConfig.LEARNING_RATE)
              + " for every loss (no sweep).\n");
    }
    return sb.append('\n').toString();
  }

  /** The shown runs ({@code extra}: on {@code --also-eval}), reference first. */
  private static String table(List<Comparison.Outcome> outcomes, boolean extra) {
    StringBuilder sb = new StringBuilder("| model | value" + HEADER + "\n|---|---|");
    COLUMNS.forEach(c -> sb.append("---:|"));
    sb.append('\n');
    List<Comparison.Outcome> shown =
        outcomes.stream().filter(o -> extra ? o.extra() != null : o.shown()).toList();
    if (shown.isEmpty()) {
      return sb.append("\nNo loss has a chosen value (see the frontier below).\n").toString();
    }
    JsonNode first = extra ? shown.get(0).extra() : shown.get(0).report();
    sb.append(row("reference (before)", "–", first.path("reference")));
    for (Comparison.Outcome o : shown) {
      sb.append(
          row("`" + o.loss() + "`", o.value(), (extra ? o.extra() : o.report()).path("policy")));
    }
    List<String> without =
        outcomes.stream()
            .map(Comparison.Outcome::loss)
            .distinct()
            .filter(l -> shown.stream().noneMatch(o -> o.loss().equals(l)))
            .toList();
    if (!extra && !without.isEmpty()) {
      sb.append("\nNo grid value of ")
          .append(String.join(", ", without))
          .append(" keeps the well-formed rate (the rule chooses none).\n");
    }
    return sb.toString();
  }

  private static String extra(List<Comparison.Outcome> outcomes) {
    if (outcomes.stream().noneMatch(o -> o.extra() != null)) {
      return "";
    }
    return "\n## The chosen runs on the second held-out set (`--also-eval`)\n\n"
        + table(outcomes, true);
  }

  /** Per loss: every grid value on the validation prompts, as a table and a plot against KL. */
  private static String frontier(List<Comparison.Outcome> outcomes, Path out, String stem)
      throws IOException {
    StringBuilder sb =
        new StringBuilder(
            "\n## Frontier: every grid value on the validation prompts\n\n"
                + "| model | value | chosen"
                + HEADER
                + "\n|---|---|---|");
    COLUMNS.forEach(c -> sb.append("---:|"));
    sb.append('\n');
    Map<String, List<Comparison.Outcome>> byLoss = new LinkedHashMap<>();
    outcomes.forEach(o -> byLoss.computeIfAbsent(o.loss(), k -> new ArrayList<>()).add(o));
    JsonNode ref = outcomes.get(0).validation().path("reference");
    sb.append(row("reference", "– | –", ref));
    List<String> plots = new ArrayList<>();
    for (Map.Entry<String, List<Comparison.Outcome>> e : byLoss.entrySet()) {
      List<Comparison.Outcome> runs = new ArrayList<>(e.getValue());
      for (Comparison.Outcome o : runs) {
        sb.append(
            row(
                "`" + o.loss() + "`",
                o.value() + " | " + (o.shown() ? "yes" : "no"),
                o.validation().path("policy")));
      }
      runs.sort(
          Comparator.comparingDouble(o -> o.validation().path("policy").path("kl").asDouble()));
      double[] kl = runs.stream().mapToDouble(o -> metric(o, "kl")).toArray();
      LinePlot p =
          new LinePlot(
              e.getKey() + ": the judge's rates against KL (one point per grid value)",
              "KL to the reference (validation prompts)",
              "rate");
      p.add(
          "judge/helpful_rate",
          kl,
          runs.stream().mapToDouble(o -> metric(o, JudgedAnswers.HELPFUL_RATE)).toArray());
      p.add(
          "judge/harmful_rate",
          kl,
          runs.stream().mapToDouble(o -> metric(o, JudgedAnswers.HARMFUL_RATE)).toArray());
      String file = stem + "-frontier-" + e.getKey() + ".png";
      Files.write(out.resolveSibling(file), p.png(700, 420));
      plots.add(file);
    }
    sb.append('\n');
    plots.forEach(f -> sb.append("![").append(f).append("](").append(f).append(")\n"));
    return sb.toString();
  }

  private static double metric(Comparison.Outcome o, String name) {
    return o.validation().path("policy").path(name).asDouble(Double.NaN);
  }

  /** A table row: {@code middle} holds the cells between the name and the metrics. */
  private static String row(String name, String middle, JsonNode stats) {
    List<String> v = new ArrayList<>();
    for (String k : COLUMNS) {
      JsonNode n = stats.get(k);
      v.add(n == null || n.isNull() ? "n/a" : String.format(Locale.ROOT, "%.3f", n.asDouble()));
    }
    return "| " + name + " | " + middle + " | " + String.join(" | ", v) + " |\n";
  }

  private static double[] col(List<double[]> points, int i) {
    return points.stream().mapToDouble(p -> p[i]).toArray();
  }
}
