package dev.d2o.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.error.ConfigException;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.train.TrainConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkConf;

/**
 * The size of a training step's results, for {@code spark.driver.maxResultSize}: G gradient results
 * of the trainable weights in F32 (the adapters with LoRA, every weight otherwise) plus a margin
 * for each result's scalars and headers.
 */
public final class ResultSize {
  /** Serialized bytes of a result besides its gradient. */
  public static final long OVERHEAD = 1 << 20;

  private static final Pattern LOCAL_CLUSTER = Pattern.compile("local-cluster\\[(\\d+),.*");

  private ResultSize() {}

  /** Bytes of one step's results: {@code groups} float gradients of {@code trainable} values. */
  public static long needed(int groups, long trainable) {
    return groups * (4 * trainable + OVERHEAD);
  }

  /** {@code bytes} as a Spark size in whole megabytes, rounded up ({@code 123m}). */
  public static String megabytes(long bytes) {
    return String.format(Locale.ROOT, "%dm", (bytes + (1 << 20) - 1) >> 20);
  }

  /**
   * The trainable floats of {@code cfg}'s run, from the model's {@code config.json} (adapters with
   * LoRA, every parameter otherwise).
   */
  public static long trainable(JobConfig cfg, Configuration conf) {
    Path file = new Path(HadoopFiles.qualify(cfg.get(Keys.MODEL_PATH)), "config.json");
    ModelConfig model;
    try {
      model =
          ModelConfig.fromJson(
              (ObjectNode) new ObjectMapper().readTree(HadoopFiles.readString(file, conf)),
              file.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
    LoraConfig lora = cfg.lora();
    return lora == null
        ? model.parameterCount()
        : lora.shapes(model).values().stream().mapToLong(s -> s.size()).sum();
  }

  /**
   * G for an in-process master: {@code train.gradientTasks} when set, else its executors ({@code
   * local-cluster[n, …]}: n; {@code local[…]}: 1).
   */
  public static int groups(JobConfig cfg, String master) {
    int configured = cfg.get(Keys.train(TrainConfig.GRADIENT_TASKS));
    if (configured > 0) {
      return configured;
    }
    Matcher m = LOCAL_CLUSTER.matcher(master);
    return m.matches() ? Integer.parseInt(m.group(1)) : 1;
  }

  /**
   * Fails when {@code spark.driver.maxResultSize} in {@code conf} (Spark's default 1g when unset; 0
   * = unlimited) cannot hold a step's {@code groups} results of {@code trainable} floats, naming
   * the size it needs.
   */
  public static void check(SparkConf conf, int groups, long trainable) {
    long limit = conf.getSizeAsBytes("spark.driver.maxResultSize", "1g");
    long needed = needed(groups, trainable);
    if (limit > 0 && limit < needed) {
      throw new ConfigException(
          String.format(
              Locale.ROOT,
              "spark.driver.maxResultSize = %s is too small for this run's gradient results: %d"
                  + " tasks (train.gradientTasks) × %d trainable floats × 4 bytes = %.1f MB per"
                  + " step. Set spark.driver.maxResultSize to at least %s (spark-submit --conf"
                  + " spark.driver.maxResultSize=%s), or train fewer parameters (lora.rank)",
              conf.get("spark.driver.maxResultSize", "1g"),
              groups,
              trainable,
              needed / 1e6,
              megabytes(needed),
              megabytes(needed)));
    }
  }
}
