package dev.d2o.cli;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Comparison;
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
        "Runs d2o, d2o-instance, dpo, npo and ga with the same anchors, budget and seeds; writes a table.")
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
      names = "--reuse",
      description = "Read the results of variants whose run directory already has them.")
  boolean reuse;

  @Override
  public Integer call() throws Exception {
    JobConfig cfg = options.load();
    try (JobSession session = JobSession.open(cfg)) {
      SparkSession spark = session.spark();
      JobConfig lora = loraConf == null ? null : JobConfig.load(loraConf, options.sets);
      var outcomes = Comparison.run(spark, cfg, losses, lora, reuse);
      String command =
          "bin/d2o compare"
              + (options.conf == null ? "" : " --conf " + options.conf)
              + options.sets.stream().map(s -> " --set " + s).reduce("", String::concat)
              + (loraConf == null ? "" : " --lora-conf " + loraConf);
      Comparison.write(outcomes, cfg, command, out);
      System.out.println("wrote " + out);
      return 0;
    }
  }
}
