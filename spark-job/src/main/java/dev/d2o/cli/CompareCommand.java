package dev.d2o.cli;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Comparison;
import dev.d2o.spark.stages.ComparisonReport;
import dev.d2o.spark.stages.Sweep;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code d2o compare}: every loss on the same anchors, budget and seeds, and a results table with
 * plots.
 */
@Command(
    name = "compare",
    mixinStandardHelpOptions = true,
    description =
        "Runs d2o, d2o-instance, dpo, npo and ga with the same anchors, budget and seeds (optionally"
            + " at every value of a grid, each loss's value chosen on a validation split of the"
            + " training prompts); writes a table.")
public final class CompareCommand implements Callable<Integer> {
  @Mixin JobOptions options;

  @Option(
      names = "--losses",
      split = ",",
      defaultValue = "d2o,d2o-instance,dpo,npo,ga",
      description = "Losses to compare (default: ${DEFAULT-VALUE}).")
  List<String> losses;

  @Option(
      names = "--out",
      defaultValue = "docs/results.md",
      description = "Results file (default: ${DEFAULT-VALUE}).")
  Path out;

  @Option(
      names = "--lora-conf",
      description = "Also run D2O with LoRA under this configuration file (row d2o-lora).")
  Path loraConf;

  @Option(
      names = "--learning-rates",
      split = ",",
      description =
          "Run every loss at each of these train.learningRate values and choose one per loss on"
              + " the validation split (default: the configuration's value, no sweep).")
  List<Double> learningRates = List.of();

  @Option(
      names = "--betas",
      split = ",",
      description = "Also sweep train.beta over these values (default: the configuration's).")
  List<Double> betas = List.of();

  @Option(
      names = "--validation-rows",
      defaultValue = "100",
      description =
          "With a sweep: the last N training prompts by id, set aside to choose each loss's value"
              + " (default: ${DEFAULT-VALUE}).")
  int validationRows;

  @Option(
      names = "--also-eval",
      description =
          "Another held-out file the chosen runs are measured on, e.g."
              + " data-samples/harmless/eval-paraphrased.jsonl.")
  String alsoEval;

  @Option(
      names = "--reuse",
      description = "Read the results of variants whose run directory already has them.")
  boolean reuse;

  @Override
  public Integer call() throws Exception {
    JobConfig cfg = options.load();
    try (JobSession session = JobSession.open(cfg)) {
      SparkSession spark = session.spark();
      JobConfig lora = loraConf == null ? null : JobConfig.load(loraConf, options.sets);
      Sweep sweep = new Sweep(learningRates, betas);
      var outcomes =
          Comparison.run(
              spark,
              cfg,
              new Comparison.Plan(losses, lora, sweep, validationRows, alsoEval, reuse));
      String command =
          "bin/d2o compare"
              + (options.conf == null ? "" : " --conf " + options.conf)
              + options.sets.stream().map(s -> " --set " + s).reduce("", String::concat)
              + (loraConf == null ? "" : " --lora-conf " + loraConf)
              + (learningRates.isEmpty() ? "" : " --learning-rates " + join(learningRates))
              + (betas.isEmpty() ? "" : " --betas " + join(betas))
              + (sweep.sweeps() ? " --validation-rows " + validationRows : "")
              + (alsoEval == null ? "" : " --also-eval " + alsoEval);
      ComparisonReport.write(outcomes, cfg, command, out, sweep);
      System.out.println("wrote " + out);
      return 0;
    }
  }

  private static String join(List<Double> values) {
    return String.join(",", values.stream().map(String::valueOf).toList());
  }
}
