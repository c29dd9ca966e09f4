package dev.d2o.cli;

import dev.d2o.spark.config.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The options every stage command shares: a configuration file, overrides, resume and overwrite.
 */
public final class JobOptions {
  @Option(
      names = "--conf",
      description = "Configuration file (HOCON); keys not given keep their defaults.")
  Path conf;

  @Option(names = "--set", description = "Override one key: --set train.beta=0.2 (repeatable).")
  List<String> sets = new ArrayList<>();

  @Option(names = "--resume", description = "Continue the run in run.dir from its last checkpoint.")
  boolean resume;

  @Option(names = "--overwrite", description = "Replace an existing run in run.dir.")
  boolean overwrite;

  /** The effective configuration. */
  JobConfig load() {
    return JobConfig.load(conf, sets);
  }
}
