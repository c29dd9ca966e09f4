package dev.d2o.cli;

import dev.d2o.error.InputException;
import dev.d2o.spark.cost.CostModelTraining;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o train-cost-model}: trains the harmfulness cost model on the labeled splits of {@code
 * make-data}.
 */
@Command(
    name = "train-cost-model",
    mixinStandardHelpOptions = true,
    description =
        "Trains the cost model (MLlib) on DATA/cost_train.parquet, reports held-out accuracy.")
public final class TrainCostModelCommand implements Callable<Integer> {
  @Option(
      names = "--data",
      defaultValue = "data-samples/harmless",
      description =
          "Folder with cost_train.parquet and cost_test.parquet (default: ${DEFAULT-VALUE}).")
  Path data;

  @Option(
      names = "--out",
      defaultValue = "data-samples/cost-model",
      description = "Model folder; metrics.json goes inside (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() {
    for (String split : new String[] {"cost_train.parquet", "cost_test.parquet"}) {
      if (!Files.exists(data.resolve(split))) {
        throw new InputException("missing " + data.resolve(split) + " (run d2o make-data first)");
      }
    }
    CostModelTraining.Metrics m =
        CostModelTraining.run(LocalSpark.session("d2o train-cost-model"), data, out);
    System.out.printf(
        "wrote %s: held-out accuracy %.4f, on truncated responses %.4f (%d train, %d test rows)%n",
        out, m.accuracy(), m.truncatedAccuracy(), m.trainRows(), m.testRows());
    return 0;
  }
}
