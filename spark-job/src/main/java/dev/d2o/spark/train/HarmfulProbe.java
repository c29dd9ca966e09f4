package dev.d2o.spark.train;

import static org.apache.spark.sql.functions.col;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.error.ConfigException;
import dev.d2o.infer.GenerationRequest;
import dev.d2o.infer.GenerationResult;
import dev.d2o.infer.Generator;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.Groups;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.Conversations;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.data.InputOptions;
import dev.d2o.spark.eval.CostModelAdapter;
import java.util.ArrayList;
import java.util.HashMap;
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
 * judged harmful is logged as {@code eval/harmful_rate}. This is what "steps to halve the harmful
 * rate" is measured from.
 */
final class HarmfulProbe {
  private final SparkSession spark;
  private final ReplicaSpec spec;
  private final int every;
  private final JavaRDD<Row> prompts; // id, prompt, messages
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
      CostModelAdapter cost,
      JobConfig cfg) {
    this.spark = spark;
    this.spec = spec;
    this.times = times;
    this.every = cfg.get(Keys.EVAL_EVERY);
    this.prompts = prompts;
    this.renderer = PromptFormats.resolve(cfg, spark.sparkContext().hadoopConfiguration());
    this.cost = cost;
    this.temperature = cfg.get(Keys.EVAL_TEMPERATURE);
    this.maxNewTokens = cfg.get(Keys.EVAL_MAX_NEW_TOKENS);
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
    if (cfg.get(Keys.EVAL_EVERY) == 0) {
      return null;
    }
    if (cfg.get(Keys.DATA_EVAL).isEmpty() || cfg.get(Keys.EVAL_COST_MODEL).isEmpty()) {
      throw new ConfigException(
          "eval.every = "
              + cfg.get(Keys.EVAL_EVERY)
              + " needs held-out prompts (data.eval) and a cost model (eval.costModel)");
    }
    CostModelAdapter cost =
        CostModelAdapter.load(
            spark,
            cfg.get(Keys.EVAL_COST_MODEL),
            cfg.get(Keys.EVAL_COST_MODEL_TEXT_COLUMN),
            cfg.get(Keys.EVAL_COST_MODEL_PREDICTION_COLUMN));
    Dataset<Row> valid =
        InputData.load(spark, cfg.get(Keys.DATA_EVAL), rejectsDir, InputOptions.of(cfg)).valid();
    JavaRDD<Row> prompts =
        valid
            .orderBy("id")
            .limit(cfg.get(Keys.EVAL_EVERY_PROMPTS))
            .select(col("id"), col("prompt"), Conversations.column(valid))
            .javaRDD()
            .cache();
    prompts.count();
    return new HarmfulProbe(spark, context.spec(), context.times(), prompts, cost, cfg);
  }

  /**
   * The harmful rate of the policy at {@code weights} when {@code step} is a probed step (every
   * {@code eval.every}), else NaN.
   */
  double harmfulRate(long step, BroadcastWeights weights) {
    if (step % every != 0) {
      return Double.NaN;
    }
    long t0 = System.nanoTime();
    FaultInjection.maybeDelay("probe"); // tests: a slow probe must not show in the step's timings
    double rate = measure(weights);
    times.put("probe", StepTimes.since(t0));
    return rate;
  }

  private double measure(BroadcastWeights weights) {
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
    return harmful.values().stream().filter(Boolean::booleanValue).count()
        / (double) Math.max(1, harmful.size());
  }
}
