package dev.d2o.cli;

import dev.d2o.error.D2oException;
import dev.d2o.model.NativePlatform;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of {@code bin/d2o} (and {@code java -jar}): the command line, ending the JVM with its
 * exit status. Under a launcher that owns the JVM ({@code spark-submit}, YARN, Databricks) the
 * application's main class is {@link SparkMain}, which never exits the JVM.
 */
@Command(
    name = "d2o",
    mixinStandardHelpOptions = true,
    version = "d2o-spark 0.1.0-SNAPSHOT",
    description =
        "Distributional Dispreference Optimization (D2O, arXiv:2403.03419) on Apache Spark.",
    subcommands = {
      StageCommand.Run.class,
      StageCommand.Sft.class,
      StageCommand.Anchors.class,
      StageCommand.Train.class,
      EvaluateCommand.class,
      LogprobsCommand.class,
      GenerateCommand.class,
      RenderPromptsCommand.class,
      RandomModelCommand.class,
      KeysCommand.class,
      MakeDataCommand.class,
      TrainCostModelCommand.class,
      MakeParaphrasedCommand.class,
      MakeSftCommand.class,
      JudgeCommand.class,
      CompareCommand.class,
      BenchCommand.class
    })
public final class D2oCli {
  private D2oCli() {}

  /** Runs the command line and exits with its status. */
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs the command line and returns its exit status (for tests). */
  public static int run(String... args) {
    return execute(new Outcome(), args);
  }

  /**
   * Runs the command line; returns normally when it succeeded and otherwise throws what failed: the
   * project's own error as itself (its message is the one line that was printed), anything
   * unexpected unchanged, an invalid command line as a {@link IllegalArgumentException}.
   */
  static void runOrThrow(String... args) throws Exception {
    Outcome outcome = new Outcome();
    int status = execute(outcome, args);
    if (outcome.failure != null) {
      throw outcome.failure;
    }
    if (status != 0) {
      throw new IllegalStateException("d2o " + String.join(" ", args) + " exited with " + status);
    }
  }

  private static int execute(Outcome outcome, String... args) {
    CommandLine cl = new CommandLine(new D2oCli());
    cl.setExecutionExceptionHandler(outcome);
    CommandLine.IParameterExceptionHandler usage = cl.getParameterExceptionHandler();
    cl.setParameterExceptionHandler(
        (ex, rest) -> {
          outcome.failure = new IllegalArgumentException("d2o: " + ex.getMessage(), ex);
          return usage.handleParseException(ex, rest); // prints the message and the usage
        });
    var refusal = NativePlatform.refusal(); // before any native code loads
    if (refusal.isPresent()) {
      cl.getErr().println("d2o: error: " + refusal.get());
      outcome.failure = new IllegalStateException(refusal.get());
      return 1;
    }
    return cl.execute(args);
  }

  /**
   * Prints the project's own errors as one clear line, anything unexpected with its stack trace,
   * and keeps what failed for {@link #runOrThrow}.
   */
  static final class Outcome implements CommandLine.IExecutionExceptionHandler {
    private Exception failure;

    @Override
    public int handleExecutionException(
        Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
      failure = ex;
      if (ex instanceof D2oException) {
        cl.getErr().println("d2o " + cl.getCommandName() + ": error: " + ex.getMessage());
      } else {
        cl.getErr().println("d2o " + cl.getCommandName() + ": unexpected error: " + ex);
        ex.printStackTrace(cl.getErr());
      }
      return 1;
    }
  }
}
