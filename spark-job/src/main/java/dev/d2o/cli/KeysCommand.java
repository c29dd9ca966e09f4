package dev.d2o.cli;

import dev.d2o.spark.config.KeysTable;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/**
 * {@code d2o keys}: prints every configuration key with its default, allowed values and meaning.
 */
@Command(
    name = "keys",
    mixinStandardHelpOptions = true,
    description =
        "Prints the configuration keys as a markdown table ((*) = must match to resume a run).")
public final class KeysCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.out.print(KeysTable.markdown());
    return 0;
  }
}
