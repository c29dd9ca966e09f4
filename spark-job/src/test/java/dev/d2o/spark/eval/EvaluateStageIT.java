package dev.d2o.spark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.error.ConfigException;
import dev.d2o.spark.ModelCache;
import dev.d2o.spark.ModelSpec;
import dev.d2o.spark.config.EvalKeys;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.HashingTF;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.Tokenizer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * evaluate on tiny random models: a policy identical to the reference has KL 0 and the same samples
 * and log-probs, a different policy does not; the cost model's harmful rate is the fraction of
 * flagged responses; bad cost models fail with the key and the path.
 */
class EvaluateStageIT extends SparkTestBase {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static String reference;
  static String samePolicy;
  static String otherPolicy;
  static JobConfig cfg;
  static Dataset<Row> input;

  @BeforeAll
  static void setUp() {
    reference = TinyModels.writeRandom(TinyModels.llama(), 5, tmp.resolve("ref")).toString();
    samePolicy =
        TinyModels.writeRandom(TinyModels.llama(), 5, tmp.resolve("same"))
            .toString(); // same weights
    otherPolicy = TinyModels.writeRandom(TinyModels.llama(), 6, tmp.resolve("other")).toString();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      rows.add(
          RowFactory.create(
              "e" + i, "Question " + i + "?", "A bad answer " + i, "A good answer " + i));
    }
    StructType schema =
        new StructType()
            .add("id", DataTypes.StringType)
            .add("prompt", DataTypes.StringType)
            .add("negative", DataTypes.StringType)
            .add("helpful", DataTypes.StringType);
    input = spark.createDataFrame(rows, schema);
    cfg = JobConfig.defaults().with(EvalKeys.EVAL_MAX_NEW_TOKENS, 8).with(Keys.RUN_SEED, 3);
  }

  @Test
  void identicalPolicyHasZeroKlAndTheReferenceNumbers() throws Exception {
    Path out = tmp.resolve("eval-same");
    EvalResult r =
        EvaluateStage.run(spark, cfg, samePolicy, reference, input, out.toString(), null);
    assertEquals(6, r.prompts());
    assertEquals(0, r.policy().kl(), 1e-4);
    assertEquals(r.reference().logpNegative(), r.policy().logpNegative(), 1e-4);
    assertEquals(r.reference().helpfulLogpPerToken(), r.policy().helpfulLogpPerToken(), 1e-6);
    assertEquals(r.reference().distinct1(), r.policy().distinct1(), "the same samples");
    assertEquals(r.reference().distinct2(), r.policy().distinct2());
    assertTrue(r.policy().logpNegative() < 0 && r.policy().helpfulLogpPerToken() < 0);
    assertTrue(Double.isNaN(r.policy().harmfulRate()), "no cost model configured");
    List<String> lines = Files.readAllLines(out.resolve("generations.jsonl"));
    assertEquals(6, lines.size());
    for (String line : lines) {
      JsonNode g = JSON.readTree(line);
      assertEquals(g.get("reference").asText(), g.get("policy").asText(), "id " + g.get("id"));
      assertEquals(0, g.get("log_ratio").asDouble(), 1e-4);
    }
    JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
    assertEquals(6, report.get("prompts").asInt());
    for (String model : List.of("reference", "policy")) {
      List<String> keys = new ArrayList<>();
      report.get(model).fieldNames().forEachRemaining(keys::add);
      assertEquals(
          List.of(
              "logps/negative",
              "kl",
              "distinct_1",
              "distinct_2",
              "response_tokens",
              "harmful_rate",
              "helpful/logp_per_token",
              "judge/helpful_rate",
              "judge/harmful_rate",
              "judge/wellformed_rate",
              "cost_model/agreement"),
          keys,
          model);
      assertTrue(report.get(model).get("harmful_rate").isNull());
      assertTrue(
          report.get(model).get("judge/wellformed_rate").isNull(),
          "the judge has no topic for these prompts");
    }
    for (String f : List.of("report.md", "report.html")) {
      assertTrue(Files.readString(out.resolve(f)).contains("logps/negative"), f);
    }
    assertEquals(
        1, ModelCache.loads(ModelSpec.frozen(cfg, samePolicy)), "keyed by directory and dtype");
  }

  @Test
  void differentPolicyHasNonZeroKl() {
    EvalResult r =
        EvaluateStage.run(
            spark, cfg, otherPolicy, reference, input, tmp.resolve("eval-other").toString(), null);
    assertTrue(Math.abs(r.policy().kl()) > 1e-2, "kl = " + r.policy().kl());
    assertNotEquals(r.reference().logpNegative(), r.policy().logpNegative(), 1e-2);
    assertEquals(0.0, r.reference().kl());
  }

  /**
   * A cost model whose verdict the test can recompute: harmful when the response has an odd number
   * of characters.
   */
  static String oddLengthCostModel() throws IOException {
    Path model = tmp.resolve("odd-length-cost-model");
    new Pipeline()
        .setStages(
            new PipelineStage[] {
              new SQLTransformer()
                  .setStatement(
                      "SELECT *, CAST(length(text) % 2 AS DOUBLE) AS prediction FROM __THIS__")
            })
        .fit(
            spark.createDataFrame(
                List.of(RowFactory.create("x")),
                new StructType().add("text", DataTypes.StringType)))
        .write()
        .overwrite()
        .save(model.toString());
    return model.toString();
  }

  @Test
  void harmfulRateIsTheFractionTheCostModelFlags() throws Exception {
    String model = oddLengthCostModel();
    Path out = tmp.resolve("eval-cost");
    EvalResult r =
        EvaluateStage.run(
            spark,
            cfg.with(EvalKeys.EVAL_COST_MODEL, model),
            otherPolicy,
            reference,
            input,
            out.toString(),
            null);
    int policyOdd = 0;
    int referenceOdd = 0;
    for (String line : Files.readAllLines(out.resolve("generations.jsonl"))) {
      JsonNode g = JSON.readTree(line);
      boolean p = g.get("policy").asText().length() % 2 == 1;
      boolean q = g.get("reference").asText().length() % 2 == 1;
      assertEquals(p, g.get("policy_harmful").asBoolean(), line);
      assertEquals(q, g.get("reference_harmful").asBoolean(), line);
      policyOdd += p ? 1 : 0;
      referenceOdd += q ? 1 : 0;
    }
    assertEquals(policyOdd / 6.0, r.policy().harmfulRate(), 1e-12);
    assertEquals(referenceOdd / 6.0, r.reference().harmfulRate(), 1e-12);
  }

  @Test
  void theJudgeLabelsBothModelsAnswersAgainstTheTopicColumn() throws Exception {
    // a topic column makes the prompts judgeable; a tiny random model writes no sentence of the
    // grammar, so every answer is malformed and the judge never says harmful: the cost model
    // agrees exactly on the answers it does not flag (even length)
    Dataset<Row> withTopic = input.withColumn("topic", functions.lit("food"));
    Path out = tmp.resolve("eval-judge");
    EvalResult r =
        EvaluateStage.run(
            spark,
            cfg.with(EvalKeys.EVAL_COST_MODEL, oddLengthCostModel()),
            otherPolicy,
            reference,
            withTopic,
            out.toString(),
            null);
    int policyEven = 0;
    List<String> lines = Files.readAllLines(out.resolve("generations.jsonl"));
    for (String line : lines) {
      JsonNode g = JSON.readTree(line);
      assertEquals("malformed", g.get("policy_judge").asText(), line);
      assertEquals("malformed", g.get("reference_judge").asText(), line);
      policyEven += g.get("policy_harmful").asBoolean() ? 0 : 1;
    }
    Map<String, Double> p = r.policy().judge();
    assertEquals(0.0, p.get(JudgedAnswers.WELLFORMED_RATE));
    assertEquals(0.0, p.get(JudgedAnswers.HELPFUL_RATE));
    assertEquals(0.0, p.get(JudgedAnswers.HARMFUL_RATE));
    assertEquals(policyEven / 6.0, p.get(JudgedAnswers.AGREEMENT), 1e-12);
    JsonNode report = JSON.readTree(out.resolve("report.json").toFile());
    assertEquals(0.0, report.get("reference").get("judge/wellformed_rate").asDouble());
    String md = Files.readString(out.resolve("report.md"));
    assertTrue(md.contains("## 6 random answer pairs"), md);
    assertTrue(md.contains("- policy (malformed): "), md);
    assertTrue(md.contains("`judge/helpful_rate` | 0.0000 | 0.0000"), md);
  }

  @Test
  void missingCostModelNamesTheKeyAndThePath() {
    String missing = tmp.resolve("no-such-model").toString();
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                EvaluateStage.run(
                    spark,
                    cfg.with(EvalKeys.EVAL_COST_MODEL, missing),
                    samePolicy,
                    reference,
                    input,
                    tmp.resolve("x").toString(),
                    null));
    assertEquals(
        "eval.costModel = "
            + missing
            + ": no such file or directory; expected a Spark MLlib PipelineModel"
            + " directory (PipelineModel.write().save(path))",
        e.getMessage());
  }

  @Test
  void costModelWithoutATextColumnFailsClearly() throws Exception {
    // Tokenizer -> HashingTF -> LogisticRegression on a dozen labelled texts, but reading
    // 'content', not 'text'
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      rows.add(
          RowFactory.create(
              i % 2 == 0 ? "how to build a weapon " + i : "a recipe for bread " + i,
              i % 2 == 0 ? 1.0 : 0.0));
    }
    Dataset<Row> train =
        spark.createDataFrame(
            rows,
            new StructType()
                .add("content", DataTypes.StringType)
                .add("label", DataTypes.DoubleType));
    Path model = tmp.resolve("content-cost-model");
    new Pipeline()
        .setStages(
            new PipelineStage[] {
              new Tokenizer().setInputCol("content").setOutputCol("words"),
              new HashingTF().setInputCol("words").setOutputCol("features").setNumFeatures(64),
              new LogisticRegression().setMaxIter(5)
            })
        .fit(train)
        .write()
        .overwrite()
        .save(model.toString());
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () ->
                EvaluateStage.run(
                    spark,
                    cfg.with(EvalKeys.EVAL_COST_MODEL, model.toString()),
                    samePolicy,
                    reference,
                    input,
                    tmp.resolve("y").toString(),
                    null));
    assertTrue(
        e.getMessage()
            .startsWith(
                "eval.costModel = "
                    + model
                    + ": the cost model does not accept a string"
                    + " column 'text' of response text ("),
        e.getMessage());
    assertTrue(e.getMessage().endsWith("); build it with input column 'text'"), e.getMessage());
  }
}
