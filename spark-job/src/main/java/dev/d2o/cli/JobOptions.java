package dev.d2o.cli;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.io.RunDir;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options every stage command shares: a configuration file, overrides, overwrite, break-lock. A
 * stage command always continues a run in {@code run.dir} that has the same training configuration
 * (a retry after a crash: complete outputs are reused, the rest is redone), so a retried command
 * needs nothing added; {@code --resume} is accepted for scripts that pass it.
 */
public final class JobOptions {
  @Option(
      names = "--conf",
      description = "Configuration file (HOCON); keys not given keep their defaults.")
  Path conf;

  @Option(names = "--set", description = "Override one key: --set train.beta=0.2 (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(
      names = "--resume",
      description =
          "Continue the run in run.dir (the default: a run with the same training configuration is"
              + " always continued; complete outputs are reused).")
  boolean resume;

  @Option(names = "--overwrite", description = "Replace an existing run in run.dir.")
  boolean overwrite;

  @Option(
      names = "--break-lock",
      description =
          "Take run.dir's lock even if its lease has not expired (when its run is known to be"
              + " gone).")
  boolean breakLock;

  /** The effective configuration. */
  JobConfig load() {
    return JobConfig.load(conf, sets);
  }

  /** How the stage commands open the run directory: always as a continuation of the same run. */
  RunDir.Mode mode() {
    return new RunDir.Mode(true, overwrite, breakLock);
  }
}
