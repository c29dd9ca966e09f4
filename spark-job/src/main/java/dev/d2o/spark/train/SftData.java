package dev.d2o.spark.train;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.ModelCache;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.InputColumns;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.data.InputOptions;
import dev.d2o.spark.io.SerializableConf;
import dev.d2o.train.SftExample;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The SFT corpus ({@code prompt}, {@code response}, optional {@code id}) as token-id rows,
 * tokenized on the executors with the model's tokenizer (prompt and response separately; BOS and
 * EOS as for scoring), for the {@code sft} stage. With a chat template the prompt is rendered as a
 * user turn and the response is closed by the template's end-of-turn ids.
 */
public final class SftData {
  private SftData() {}

  /** Loads, checks and tokenizes {@code data.input}; rejected rows go to {@code rejectsDir}. */
  public static InputData.Loaded load(SparkSession spark, JobConfig cfg, String rejectsDir) {
    return InputData.load(
        spark, cfg.get(Keys.DATA_INPUT), rejectsDir, InputOptions.of(cfg), InputColumns.SFT);
  }

  /** Token ids of the valid rows (id, prompt, response), in id order. */
  public static JavaRDD<SftExample> tokenize(
      Dataset<Row> valid, JobConfig cfg, SerializableConf conf) {
    String model = cfg.get(Keys.MODEL_PATH);
    String policy = cfg.get(Keys.DATA_LENGTH_POLICY);
    PromptRenderer renderer = PromptFormats.resolve(cfg, conf.get());
    return valid
        .orderBy("id")
        .javaRDD()
        .mapPartitions(
            it -> {
              Pretrained p = ModelCache.get("reference", model, conf.get());
              int context = p.model().config().maxPositions();
              List<SftExample> out = new ArrayList<>();
              while (it.hasNext()) {
                Row r = it.next();
                ScoreRequest req =
                    LengthPolicy.parse(policy)
                        .apply(
                            new ScoreRequest(
                                "id " + r.getString(0),
                                renderer.promptIds(
                                    p.tokenizer(),
                                    renderer.renderRow(
                                        "row id " + r.getString(0), r.getString(1), null, "")),
                                renderer.responseIds(p.tokenizer(), r.getString(2), true)),
                            context);
                out.add(new SftExample(r.getString(0), req.promptIds(), req.responseIds()));
              }
              return out.iterator();
            });
  }
}
