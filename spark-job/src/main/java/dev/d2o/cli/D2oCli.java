package dev.d2o.cli;

import dev.d2o.error.D2oException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code bin/d2o} and of the application jar. */
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
    CommandLine cl = new CommandLine(new D2oCli());
    cl.setExecutionExceptionHandler(new ErrorHandler());
    var refusal = dev.d2o.model.NativePlatform.refusal(); // before any native code loads
    if (refusal.isPresent()) {
      cl.getErr().println("d2o: error: " + refusal.get());
      return 1;
    }
    return cl.execute(args);
  }

  /**
   * Prints the project's own errors as one clear line, anything unexpected with its stack trace.
   */
  static final class ErrorHandler implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(
        Exception ex, CommandLine cl, CommandLine.ParseResult parsed) {
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
