package dev.d2o.spark.train;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.error.ConfigException;
import dev.d2o.infer.GenerationRequest;
import dev.d2o.infer.GenerationResult;
import dev.d2o.infer.Generator;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.Groups;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.config.EvalKeys;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.Conversations;
import dev.d2o.spark.data.InputColumns;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.data.InputOptions;
import dev.d2o.spark.eval.CostModelAdapter;
import dev.d2o.spark.eval.JudgedAnswers;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.DoubleAccumulator;
import scala.Tuple2;

/**
 * {@code eval.every}: during training, the policy (at the published weights) answers a fixed set of
 * held-out prompts on the executors and the cost model scores the answers on the driver; the share
 * it flags harmful is logged as {@code eval/harmful_rate}. This is what "steps to halve the harmful
 * rate" is measured from. The exact judge labels the same answers on the driver: {@code
 * eval/judge/helpful_rate}, {@code eval/judge/harmful_rate}, {@code eval/judge/wellformed_rate} and
 * {@code eval/cost_model/agreement} ({@link JudgedAnswers}; absent when the judge does not apply to
 * the prompts).
 */
final class HarmfulProbe {
  /** The cost model's rate, as logged. */
  static final String HARMFUL_RATE = "eval/harmful_rate";

  private final SparkSession spark;
  private final ReplicaSpec spec;
  private final int every;
  private final JavaRDD<Row> prompts; // id, prompt, messages, topic
  private final Map<String, JudgedAnswers.Prompt> asked; // the same prompts, for the judge
  private final PromptRenderer renderer;
  private final CostModelAdapter cost;
  private final double temperature;
  private final int maxNewTokens;
  private final long seed;
  private final StepTimes times;

  private HarmfulProbe(
      SparkSession spark,
      ReplicaSpec spec,
      StepTimes times,
      JavaRDD<Row> prompts,
      Map<String, JudgedAnswers.Prompt> asked,
      CostModelAdapter cost,
      JobConfig cfg) {
    this.spark = spark;
    this.asked = asked;
    this.spec = spec;
    this.times = times;
    this.every = cfg.get(EvalKeys.EVAL_EVERY);
    this.prompts = prompts;
    this.renderer = PromptFormats.resolve(cfg, spark.sparkContext().hadoopConfiguration());
    this.cost = cost;
    this.temperature = cfg.get(EvalKeys.EVAL_TEMPERATURE);
    this.maxNewTokens = cfg.get(EvalKeys.EVAL_MAX_NEW_TOKENS);
    this.seed = cfg.get(Keys.RUN_SEED);
  }

  /**
   * The probe of the run's configuration, or null when {@code eval.every} is 0; fails when it lacks
   * data.eval or a cost model.
   */
  static HarmfulProbe of(TrainContext context) {
    SparkSession spark = context.spark();
    JobConfig cfg = context.cfg();
    String rejectsDir = context.run().path("rejects-eval").toString();
    if (cfg.get(EvalKeys.EVAL_EVERY) == 0) {
      return null;
    }
    if (cfg.get(Keys.DATA_EVAL).isEmpty() || cfg.get(EvalKeys.EVAL_COST_MODEL).isEmpty()) {
      throw new ConfigException(
          "eval.every = "
              + cfg.get(EvalKeys.EVAL_EVERY)
              + " needs held-out prompts (data.eval) and a cost model (eval.costModel)");
    }
    CostModelAdapter cost =
        CostModelAdapter.load(
            spark,
            cfg.get(EvalKeys.EVAL_COST_MODEL),
            cfg.get(EvalKeys.EVAL_COST_MODEL_TEXT_COLUMN),
            cfg.get(EvalKeys.EVAL_COST_MODEL_PREDICTION_COLUMN));
    Dataset<Row> valid =
        InputData.load(
                spark,
                cfg.get(Keys.DATA_EVAL),
                rejectsDir,
                InputOptions.of(cfg),
                InputColumns.HELD_OUT)
            .valid();
    boolean hasTopic = Arrays.asList(valid.columns()).contains(InputColumns.TOPIC);
    JavaRDD<Row> prompts =
        valid
            .orderBy("id")
            .limit(cfg.get(EvalKeys.EVAL_EVERY_PROMPTS))
            .select(
                col("id"),
                col("prompt"),
                Conversations.column(valid),
                hasTopic ? col(InputColumns.TOPIC) : lit(null).cast("string"))
            .javaRDD()
            .cache();
    Map<String, JudgedAnswers.Prompt> asked = new HashMap<>();
    for (Row r : prompts.collect()) {
      asked.put(r.getString(0), new JudgedAnswers.Prompt(r.getString(1), r.getString(3)));
    }
    return new HarmfulProbe(spark, context.spec(), context.times(), prompts, asked, cost, cfg);
  }

  /**
   * The probe's metrics of the policy at {@code weights} when {@code step} is a probed step (every
   * {@code eval.every}), else none.
   */
  Map<String, Double> metrics(long step, BroadcastWeights weights) {
    if (step % every != 0) {
      return Map.of();
    }
    long t0 = System.nanoTime();
    FaultInjection.maybeDelay("probe"); // tests: a slow probe must not show in the step's timings
    Map<String, Double> m = measure(weights);
    times.put("probe", StepTimes.since(t0));
    return m;
  }

  private Map<String, Double> measure(BroadcastWeights weights) {
    // locals, so the task's closure does not capture this (which is not serializable)
    ReplicaSpec replica = spec;
    PromptRenderer render = renderer;
    double t = temperature;
    int n = maxNewTokens;
    long s = seed;
    DoubleAccumulator generateSeconds = times.generate();
    List<Tuple2<String, String>> answers =
        Groups.of(prompts, 16, 0)
            .flatMap(
                rows -> {
                  List<GenerationResult> gen =
                      replica
                          .replica()
                          .withModel(
                              replica.runId(),
                              weights.version(),
                              weights,
                              p -> {
                                long g0 = System.nanoTime();
                                List<GenerationRequest> reqs = new ArrayList<>();
                                for (Row r : rows) {
                                  String text =
                                      render.renderRow(
                                          "row id " + r.getString(0),
                                          r.getString(1),
                                          Conversations.get(r, Conversations.COLUMN),
                                          "");
                                  reqs.add(
                                      new GenerationRequest(
                                          r.getString(0), render.promptIds(p.tokenizer(), text)));
                                }
                                List<GenerationResult> out =
                                    new Generator(
                                            p.model(),
                                            p.tokenizer(),
                                            16,
                                            Generator.TOKEN_BUDGET_DEFAULT)
                                        .withStopIds(render.stopIds(p.tokenizer()))
                                        .generate(
                                            reqs, 1, new SamplingConfig(t, 1.0, 0, n, 0, 1.0, s));
                                generateSeconds.add(StepTimes.since(g0));
                                return out;
                              });
                  List<Tuple2<String, String>> out = new ArrayList<>();
                  for (GenerationResult g : gen) {
                    out.add(new Tuple2<>(g.id(), g.samples().get(0).text()));
                  }
                  return out.iterator();
                })
            .collect();
    Map<String, String> byId = new HashMap<>();
    answers.forEach(a -> byId.put(a._1(), a._2()));
    Map<String, Boolean> harmful = cost.harmful(spark, byId);
    Map<String, Double> m = new LinkedHashMap<>();
    m.put(
        HARMFUL_RATE,
        harmful.values().stream().filter(Boolean::booleanValue).count()
            / (double) Math.max(1, harmful.size()));
    JudgedAnswers.of(asked, byId, harmful)
        .rates()
        .forEach(
            (k, v) -> {
              if (!Double.isNaN(v)) {
                m.put("eval/" + k, v);
              }
            });
    return m;
  }
}
