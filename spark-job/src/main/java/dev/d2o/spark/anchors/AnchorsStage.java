package dev.d2o.spark.anchors;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.model.CausalLM;
import dev.d2o.model.Pretrained;
import dev.d2o.model.TextTokenizer;
import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.Groups;
import dev.d2o.spark.ModelCache;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.StageProgress;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.Conversations;
import dev.d2o.spark.io.SerializableConf;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/**
 * The {@code anchors} stage: each executor loads the reference model once per JVM ({@link
 * ModelCache}), samples K anchors per prompt and scores anchors and negative under the reference;
 * the result is a Parquet table of {@link AnchorRow#SCHEMA}.
 */
public final class AnchorsStage {
  private AnchorsStage() {}

  /**
   * What an executor needs to build anchors: small and serializable.
   *
   * @param modelPath the reference model (the sampling model too, unless a policy is given)
   * @param conf the Hadoop configuration
   * @param numSamples K
   * @param temperature sampling temperature
   * @param topP nucleus sampling
   * @param topK top-k sampling
   * @param maxNewTokens longest anchor
   * @param seed run seed
   * @param prefix instruction prepended while sampling
   * @param lengthPolicy what to do with rows longer than the context
   * @param batchSize prompts per canonical group
   * @param device where the models run
   * @param renderer how prompts become model input (resolved once on the driver)
   */
  public record Spec(
      String modelPath,
      SerializableConf conf,
      int numSamples,
      double temperature,
      double topP,
      int topK,
      int maxNewTokens,
      long seed,
      String prefix,
      String lengthPolicy,
      int batchSize,
      String device,
      PromptRenderer renderer)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    SamplingConfig sampling() {
      return new SamplingConfig(temperature, topP, topK, maxNewTokens, 0, 1.0, seed);
    }

    /** This JVM's cached reference model. */
    public Pretrained reference() {
      return ModelCache.get("reference", modelPath, conf.get(), device);
    }

    /**
     * A builder that samples from {@code sampler} and scores under {@code reference} with this
     * spec's settings.
     */
    public AnchorBuilder builder(CausalLM sampler, CausalLM reference, TextTokenizer tokenizer) {
      return new AnchorBuilder(
          sampler,
          reference,
          tokenizer,
          renderer,
          sampling(),
          numSamples,
          prefix,
          LengthPolicy.parse(lengthPolicy),
          batchSize);
    }
  }

  /**
   * The executor-side spec of {@code cfg}, sampling from the model at {@code modelPath}, with the
   * prompt format resolved against {@code model.path}.
   */
  public static Spec spec(SparkSession spark, JobConfig cfg, String modelPath) {
    return spec(
        spark,
        cfg,
        modelPath,
        PromptFormats.resolve(cfg, spark.sparkContext().hadoopConfiguration()));
  }

  /** As {@link #spec(SparkSession, JobConfig, String)}, with a renderer already resolved. */
  public static Spec spec(
      SparkSession spark, JobConfig cfg, String modelPath, PromptRenderer renderer) {
    return new Spec(
        modelPath,
        new SerializableConf(spark.sparkContext().hadoopConfiguration()),
        cfg.get(Keys.ANCHORS_NUM),
        cfg.get(Keys.ANCHORS_TEMPERATURE),
        cfg.get(Keys.ANCHORS_TOP_P),
        cfg.get(Keys.ANCHORS_TOP_K),
        cfg.get(Keys.ANCHORS_MAX_NEW_TOKENS),
        cfg.get(Keys.RUN_SEED),
        cfg.get(Keys.ANCHORS_PREFIX),
        cfg.get(Keys.DATA_LENGTH_POLICY),
        cfg.get(Keys.ANCHORS_BATCH_SIZE),
        cfg.get(Keys.MODEL_DEVICE),
        renderer);
  }

  /**
   * Builds anchors for {@code input} (id, prompt, negative), writes them to {@code output} and
   * reads them back.
   */
  public static Dataset<Row> run(
      SparkSession spark, JobConfig cfg, Dataset<Row> input, String output) {
    Spec spec = spec(spark, cfg, cfg.get(Keys.MODEL_PATH));
    int partitions = cfg.get(Keys.RUN_PARTITIONS);
    try (StageProgress progress =
        StageProgress.start(spark.sparkContext(), "anchors", input.count(), "prompts")) {
      LongAccumulator done = progress.counter();
      JavaRDD<Row> rows =
          Groups.of(input.orderBy("id").javaRDD(), spec.batchSize(), partitions)
              .flatMap(group -> buildGroup(spec, group, done));
      spark
          .createDataFrame(rows, AnchorRow.SCHEMA)
          .write()
          .mode(SaveMode.Overwrite)
          .parquet(output);
    }
    return spark.read().parquet(output);
  }

  /** One canonical group of prompts: all their K anchors are sampled and scored together. */
  private static Iterator<Row> buildGroup(Spec spec, List<Row> group, LongAccumulator done) {
    FaultInjection.maybeFail("anchors");
    Pretrained ref = spec.reference();
    AnchorBuilder builder = spec.builder(ref.model(), ref.model(), ref.tokenizer());
    List<AnchorBuilder.Input> inputs = new ArrayList<>();
    group.forEach(
        r ->
            inputs.add(
                new AnchorBuilder.Input(
                    r.getString(0),
                    r.getString(1),
                    r.getString(2),
                    Conversations.get(r, Conversations.COLUMN))));
    List<Row> out = new ArrayList<>(inputs.size());
    for (AnchorRow a : builder.build(inputs)) {
      out.add(a.toRow());
    }
    done.add(inputs.size());
    return out.iterator();
  }
}
