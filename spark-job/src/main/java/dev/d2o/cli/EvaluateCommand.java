package dev.d2o.cli;

import dev.d2o.error.InputException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.eval.EvalResult;
import dev.d2o.spark.eval.EvaluateStage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o evaluate}: a policy against its reference on the held-out prompts of {@code
 * data.eval}.
 */
@Command(
    name = "evaluate",
    mixinStandardHelpOptions = true,
    description = {
      "Evaluates a policy against its reference on the held-out prompts of data.eval (prompt, negative, optional id"
          + " and helpful): log-probs of the negatives, KL(policy||reference), distinct-1/2, the cost model's"
          + " harmful rate (eval.costModel) and a helpfulness proxy.",
      "Writes report.md, report.json, report.html, generations.jsonl and, with --metrics, training plots (PNG) to"
          + " the output directory."
    })
public final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--conf", description = "HOCON configuration file.")
  Path conf;

  @Option(
      names = "--set",
      paramLabel = "KEY=VALUE",
      description = "Overrides a configuration key (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(
      names = "--policy",
      required = true,
      description = "Policy model directory (any Hadoop URI).")
  String policy;

  @Option(names = "--reference", description = "Reference model directory (default: model.path).")
  String reference;

  @Option(names = "--output", required = true, description = "Report directory (any Hadoop URI).")
  String output;

  @Option(names = "--metrics", description = "Training metrics.jsonl to plot (optional).")
  String metrics;

  @Override
  public Integer call() {
    JobConfig cfg = JobConfig.load(conf, overrides);
    String ref = reference != null ? reference : cfg.get(Keys.MODEL_PATH);
    if (cfg.get(Keys.DATA_EVAL).isEmpty()) {
      throw new InputException(
          "no held-out prompts: set data.eval (in --conf or with --set data.eval=PATH)");
    }
    try (JobSession session = JobSession.open(cfg)) {
      EvalResult r = EvaluateStage.heldOut(session.spark(), cfg, policy, ref, output, metrics);
      System.out.printf(
          Locale.ROOT,
          "evaluated %d prompts: logps/negative %.4f -> %.4f, kl %.4f, distinct-2 %.4f ->"
              + " %.4f -> %s/report.md%n",
          r.prompts(),
          r.reference().logpNegative(),
          r.policy().logpNegative(),
          r.policy().kl(),
          r.reference().distinct2(),
          r.policy().distinct2(),
          output);
      return 0;
    }
  }
}
