package dev.d2o.spark.cost;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Trains the {@link DemoCostModel} on {@code cost_train.parquet}, measures it on the held-out
 * {@code cost_test.parquet} (responses to prompts the model never saw), in full and cut to the
 * first {@value #TRUNCATED_SHARE} of their words, saves it and writes {@code metrics.json} beside
 * it.
 */
public final class CostModelTraining {
  /** Share of words kept in the truncated-text accuracy. */
  public static final double TRUNCATED_SHARE = 0.6;

  /**
   * The measured quality.
   *
   * @param trainRows labeled training responses
   * @param testRows held-out labeled responses
   * @param accuracy held-out accuracy on full responses
   * @param truncatedAccuracy held-out accuracy on responses cut to their first {@value
   *     #TRUNCATED_SHARE} of words
   */
  public record Metrics(long trainRows, long testRows, double accuracy, double truncatedAccuracy) {}

  private CostModelTraining() {}

  /**
   * Held-out accuracy of {@code model} on {@code test} ({@code text}, {@code label}), full and
   * truncated.
   */
  public static Metrics measure(DemoCostModel model, Dataset<Row> train, Dataset<Row> test) {
    double full = model.accuracy(test, "text");
    double cut = model.accuracy(DemoCostModel.truncateWords(test, "text", TRUNCATED_SHARE), "text");
    return new Metrics(train.count(), test.count(), full, cut);
  }

  /**
   * Reads the splits from {@code dataDir}, trains, saves to {@code outDir} and writes its metrics.
   */
  public static Metrics run(SparkSession spark, Path dataDir, Path outDir) {
    Dataset<Row> train = read(spark, dataDir.resolve("cost_train.parquet")).cache();
    Dataset<Row> test = read(spark, dataDir.resolve("cost_test.parquet")).cache();
    DemoCostModel model = DemoCostModel.fit(train, "text");
    Metrics m = measure(model, train, test);
    model.save(outDir.toAbsolutePath().toUri().toString());
    try {
      removeChecksums(outDir);
      writeMetrics(m, outDir.resolve("metrics.json"));
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot finish the cost model in " + outDir + ": " + e.getMessage(), e);
    }
    train.unpersist();
    test.unpersist();
    return m;
  }

  private static Dataset<Row> read(SparkSession spark, Path file) {
    if (!Files.exists(file)) {
      throw new IllegalArgumentException("missing " + file + " (run d2o make-data first)");
    }
    return spark.read().parquet(file.toAbsolutePath().toUri().toString());
  }

  private static void writeMetrics(Metrics m, Path file) throws IOException {
    ObjectMapper json = new ObjectMapper();
    ObjectNode node = json.createObjectNode();
    node.put("train_rows", m.trainRows());
    node.put("test_rows", m.testRows());
    node.put("accuracy", m.accuracy());
    node.put("accuracy_truncated", m.truncatedAccuracy());
    node.put("truncated_share", TRUNCATED_SHARE);
    node.put("threshold", 0.5);
    node.put(
        "test_set",
        "cost_test: one helpful and one harmful response per eval prompt (prompts unseen in training)");
    json.writerWithDefaultPrettyPrinter().writeValue(file.toFile(), node);
  }

  /**
   * Hadoop's .crc side files and _SUCCESS markers: noise in a committed model, and reading works
   * without them.
   */
  private static void removeChecksums(Path dir) throws IOException {
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> noise =
          walk.filter(
                  p -> {
                    String n = p.getFileName().toString();
                    return n.endsWith(".crc") || n.equals("_SUCCESS");
                  })
              .toList();
      for (Path p : noise) {
        Files.delete(p);
      }
    }
  }
}
