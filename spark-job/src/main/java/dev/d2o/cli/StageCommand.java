package dev.d2o.cli;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Pipeline;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code d2o run|anchors|train}: the Spark stages, in-process on {@code run.master} or under
 * spark-submit.
 */
public abstract class StageCommand implements Callable<Integer> {
  @Mixin JobOptions options;

  abstract Pipeline.Stage stage();

  @Override
  public Integer call() {
    JobConfig cfg = options.load();
    try (JobSession session = JobSession.open(cfg)) {
      var summary = Pipeline.run(session.spark(), cfg, stage(), options.mode(), null);
      System.out.println("run summary: " + summary.toPrettyString());
      return 0;
    }
  }

  /** All stages. */
  @Command(
      name = "run",
      mixinStandardHelpOptions = true,
      description =
          "Runs anchors -> train (-> evaluate) on the configured data; outputs go to run.dir.")
  public static final class Run extends StageCommand {
    @Override
    Pipeline.Stage stage() {
      return Pipeline.Stage.ALL;
    }
  }

  /**
   * Supervised fine-tuning (next-token loss) of model.path on (prompt, response) rows of
   * data.input.
   */
  @Command(
      name = "sft",
      mixinStandardHelpOptions = true,
      description =
          "Trains model.path with the next-token loss on the (prompt, response) rows of data.input.")
  public static final class Sft extends StageCommand {
    @Override
    Pipeline.Stage stage() {
      return Pipeline.Stage.SFT;
    }
  }

  /** The anchors stage only. */
  @Command(
      name = "anchors",
      mixinStandardHelpOptions = true,
      description =
          "Samples K anchors per prompt with the reference model and scores them (run.dir/anchors).")
  public static final class Anchors extends StageCommand {
    @Override
    Pipeline.Stage stage() {
      return Pipeline.Stage.ANCHORS;
    }
  }

  /** The train stage only (anchors must exist in run.dir). */
  @Command(
      name = "train",
      mixinStandardHelpOptions = true,
      description = "Trains on the anchors in run.dir (use with --resume after the anchors stage).")
  public static final class Train extends StageCommand {
    @Override
    Pipeline.Stage stage() {
      return Pipeline.Stage.TRAIN;
    }
  }
}
