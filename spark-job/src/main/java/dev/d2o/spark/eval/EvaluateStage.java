package dev.d2o.spark.eval;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.d2o.chat.PromptRenderer;
import dev.d2o.error.InputException;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.Groups;
import dev.d2o.spark.ModelCache;
import dev.d2o.spark.PromptFormats;
import dev.d2o.spark.StageProgress;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.Conversations;
import dev.d2o.spark.data.InputColumns;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.data.InputOptions;
import dev.d2o.spark.io.Console;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.SerializableConf;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/**
 * The {@code evaluate} stage: on held-out prompts, executors generate one response per prompt with
 * the policy and with the reference and score negatives, the policy's responses and optional
 * helpful responses exactly under both ({@link PromptEvaluator}); the driver adds distinct-n and
 * the cost model's harmful rate and writes {@code report.md}, {@code report.json}, {@code
 * report.html}, {@code generations.jsonl} and the training plots under the output directory.
 */
public final class EvaluateStage {
  /**
   * {@link ModelCache} roles: keyed by directory as well, so a new policy directory loads fresh.
   */
  public static final String POLICY_ROLE = "eval-policy";

  public static final String REFERENCE_ROLE = "eval-reference";

  private EvaluateStage() {}

  /** What an executor needs to evaluate prompts: small and serializable. */
  record Spec(
      String policyDir,
      String referenceDir,
      SerializableConf conf,
      double temperature,
      int maxNewTokens,
      long seed,
      int batchSize,
      String lengthPolicy,
      String device,
      PromptRenderer renderer)
      implements Serializable {
    private static final long serialVersionUID = 1L;

    SamplingConfig sampling() {
      return SamplingConfig.defaults()
          .withTemperature(temperature)
          .withMaxNewTokens(maxNewTokens)
          .withSeed(seed);
    }
  }

  /**
   * Evaluates on the held-out prompts of {@code data.eval} (with their optional {@code helpful}
   * column): rejected held-out rows go to {@code outDir/rejected-eval-rows} and are counted in the
   * result's log line.
   */
  public static EvalResult heldOut(
      SparkSession spark,
      JobConfig cfg,
      String policyModelDir,
      String referenceModelDir,
      String outDir,
      String metricsJsonlOrNull) {
    String evalData = cfg.get(Keys.DATA_EVAL);
    if (evalData.isEmpty()) {
      throw new InputException(
          "no held-out prompts: set data.eval (in --conf or with --set data.eval=PATH)");
    }
    InputData.Loaded loaded =
        InputData.load(
            spark,
            evalData,
            outDir + "/rejected-eval-rows",
            InputOptions.of(cfg),
            InputColumns.HELD_OUT);
    if (loaded.rejectedCount() > 0) {
      Console.line(
          "rejected "
              + loaded.rejectedCount()
              + " of "
              + loaded.total()
              + " held-out rows: "
              + loaded.rejected()
              + " -> "
              + outDir
              + "/rejected-eval-rows");
    }
    return run(
        spark, cfg, policyModelDir, referenceModelDir, loaded.valid(), outDir, metricsJsonlOrNull);
  }

  /**
   * Evaluates {@code policyModelDir} against {@code referenceModelDir} on up to {@code
   * eval.maxPrompts} rows of {@code evalInput} (id, prompt, negative, optional helpful), writes the
   * report under {@code outDir} (with plots of {@code metricsJsonlOrNull} when given) and returns
   * the numbers.
   */
  public static EvalResult run(
      SparkSession spark,
      JobConfig cfg,
      String policyModelDir,
      String referenceModelDir,
      Dataset<Row> evalInput,
      String outDir,
      String metricsJsonlOrNull) {
    Configuration conf = spark.sparkContext().hadoopConfiguration();
    String costPath = cfg.get(Keys.EVAL_COST_MODEL);
    CostModelAdapter cost =
        costPath.isEmpty()
            ? null
            : CostModelAdapter.load(
                spark,
                costPath,
                cfg.get(Keys.EVAL_COST_MODEL_TEXT_COLUMN),
                cfg.get(Keys.EVAL_COST_MODEL_PREDICTION_COLUMN)); // fail fast
    Map<String, TrainingPlots.Curve> metrics =
        metricsJsonlOrNull == null ? Map.of() : readMetrics(metricsJsonlOrNull, conf);
    Spec spec =
        new Spec(
            policyModelDir,
            referenceModelDir,
            new SerializableConf(conf),
            cfg.get(Keys.EVAL_TEMPERATURE),
            cfg.get(Keys.EVAL_MAX_NEW_TOKENS),
            cfg.get(Keys.RUN_SEED),
            cfg.get(Keys.ANCHORS_BATCH_SIZE),
            cfg.get(Keys.DATA_LENGTH_POLICY),
            cfg.get(Keys.MODEL_DEVICE),
            PromptFormats.resolve(cfg, referenceModelDir, conf));
    List<EvalRow> rows = evaluate(spark, spec, prompts(spark, cfg, evalInput));
    if (rows.isEmpty()) {
      throw new InputException("evaluate: the held-out data has no rows to evaluate (data.eval)");
    }
    Map<String, Boolean> policyHarmful = null;
    Map<String, Boolean> referenceHarmful = null;
    if (cost != null) {
      spark.sparkContext().setJobDescription("d2o evaluate: the cost model scores the responses");
      Map<String, String> policyTexts = new LinkedHashMap<>();
      Map<String, String> referenceTexts = new LinkedHashMap<>();
      rows.forEach(r -> policyTexts.put(r.id(), r.policyText()));
      rows.forEach(r -> referenceTexts.put(r.id(), r.referenceText()));
      policyHarmful = cost.harmful(spark, policyTexts);
      referenceHarmful = cost.harmful(spark, referenceTexts);
    }
    spark.sparkContext().setJobDescription(null);
    EvalResult result = EvalResult.of(rows, policyHarmful, referenceHarmful);
    EvalReport.Settings settings =
        new EvalReport.Settings(
            policyModelDir,
            referenceModelDir,
            spec.maxNewTokens(),
            spec.temperature(),
            spec.seed(),
            costPath);
    write(
        outDir,
        conf,
        result,
        settings,
        rows,
        policyHarmful,
        referenceHarmful,
        TrainingPlots.render(metrics, TrainingPlots.WIDTH, TrainingPlots.HEIGHT));
    return result;
  }

  /** The first {@code eval.maxPrompts} rows by id (a stable choice), spread over the executors. */
  private static Dataset<Row> prompts(SparkSession spark, JobConfig cfg, Dataset<Row> evalInput) {
    boolean helpful = Arrays.asList(evalInput.columns()).contains(InputColumns.HELPFUL);
    return evalInput
        .select(
            col("id"),
            col("prompt"),
            col("negative"),
            helpful ? col(InputColumns.HELPFUL).cast("string") : lit(null).cast("string"),
            Conversations.column(evalInput))
        .orderBy("id")
        .limit(cfg.get(Keys.EVAL_MAX_PROMPTS));
  }

  private static List<EvalRow> evaluate(SparkSession spark, Spec spec, Dataset<Row> prompts) {
    int partitions = spark.sparkContext().defaultParallelism();
    List<EvalRow> rows;
    try (StageProgress progress =
        StageProgress.start(spark.sparkContext(), "evaluate", prompts.count(), "prompts")) {
      LongAccumulator done = progress.counter();
      rows =
          new ArrayList<>(
              Groups.of(prompts.javaRDD(), spec.batchSize(), partitions)
                  .flatMap(group -> evaluatePartition(spec, group.iterator(), done))
                  .collect());
    }
    rows.sort(Comparator.comparing(EvalRow::id));
    return rows;
  }

  private static Iterator<EvalRow> evaluatePartition(
      Spec spec, Iterator<Row> it, LongAccumulator done) {
    if (!it.hasNext()) {
      return List.<EvalRow>of().iterator();
    }
    Pretrained policy =
        ModelCache.get(POLICY_ROLE, spec.policyDir(), spec.conf().get(), spec.device());
    Pretrained reference =
        ModelCache.get(REFERENCE_ROLE, spec.referenceDir(), spec.conf().get(), spec.device());
    PromptEvaluator evaluator =
        new PromptEvaluator(
            policy.model(),
            reference.model(),
            reference.tokenizer(),
            spec.renderer(),
            spec.sampling(),
            spec.batchSize(),
            LengthPolicy.parse(spec.lengthPolicy()));
    List<PromptEvaluator.Input> inputs = new ArrayList<>();
    it.forEachRemaining(
        r ->
            inputs.add(
                new PromptEvaluator.Input(
                    r.getString(0),
                    r.getString(1),
                    r.getString(2),
                    r.getString(3),
                    Conversations.get(r, Conversations.COLUMN))));
    List<EvalRow> out = evaluator.evaluate(inputs);
    done.add(inputs.size());
    return out.iterator();
  }

  private static Map<String, TrainingPlots.Curve> readMetrics(String location, Configuration conf) {
    Path p = HadoopFiles.qualify(location);
    if (!HadoopFiles.exists(p, conf)) {
      throw new InputException("training metrics not found: " + location);
    }
    return TrainingPlots.parse(HadoopFiles.readString(p, conf), location);
  }

  private static void write(
      String outDir,
      Configuration conf,
      EvalResult result,
      EvalReport.Settings settings,
      List<EvalRow> rows,
      Map<String, Boolean> policyHarmful,
      Map<String, Boolean> referenceHarmful,
      Map<String, byte[]> plots) {
    Path dir = HadoopFiles.qualify(outDir);
    plots.forEach(
        (name, png) -> HadoopFiles.writeAtomically(new Path(dir, name), conf, os -> os.write(png)));
    HadoopFiles.writeString(
        new Path(dir, "generations.jsonl"),
        EvalReport.generations(rows, policyHarmful, referenceHarmful),
        conf);
    HadoopFiles.writeString(new Path(dir, "report.json"), EvalReport.json(result, settings), conf);
    HadoopFiles.writeString(
        new Path(dir, "report.html"), EvalReport.html(result, settings, plots), conf);
    HadoopFiles.writeString(
        new Path(dir, "report.md"),
        EvalReport.markdown(result, settings, List.copyOf(plots.keySet())),
        conf);
  }
}
