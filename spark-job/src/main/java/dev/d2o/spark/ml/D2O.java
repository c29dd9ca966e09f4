package dev.d2o.spark.ml;

import dev.d2o.config.Key;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.train.LossType;
import dev.d2o.train.TrainConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.param.BooleanParam;
import org.apache.spark.ml.param.DoubleParam;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.param.ParamValidators;
import org.apache.spark.ml.param.StringArrayParam;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * D²O as a Spark ML Estimator: {@code fit} runs anchors and training on a data set of {@code
 * prompt} and {@code negative} (or {@code rejected}) columns and returns a {@link D2OModel}. Each
 * Param maps to one job configuration key; {@link #extraConf} sets any other key ("key=value").
 */
public final class D2O extends Estimator<D2OModel> implements DefaultParamsWritable {
  private static final long serialVersionUID = 1L;
  private final String uid;

  private final DoubleParam beta;
  private final DoubleParam alpha;
  private final IntParam numAnchors;
  private final Param<String> loss;
  private final IntParam maxSteps;
  private final IntParam batchSize;
  private final DoubleParam learningRate;
  private final Param<String> modelPath;
  private final Param<String> runDir;
  private final IntParam seed;
  private final StringArrayParam extraConf;
  private final BooleanParam overwrite;
  private final BooleanParam resume;

  public D2O() {
    this(Identifiable$.MODULE$.randomUID("d2o"));
  }

  public D2O(String uid) {
    this.uid = uid;
    // Params name their parent by uid, so they are built once the uid is set
    beta =
        new DoubleParam(
            this, "beta", "β, weight of the anchor log-ratio (> 0)", ParamValidators.gt(0));
    alpha =
        new DoubleParam(
            this, "alpha", "α, weight of the negative log-ratio (≥ 0)", ParamValidators.gtEq(0));
    numAnchors =
        new IntParam(
            this, "numAnchors", "K, anchors sampled per prompt (≥ 1)", ParamValidators.gtEq(1));
    loss =
        new Param<>(
            this,
            "loss",
            "objective: one of " + LossType.keys(),
            ParamValidators.inArray(LossType.keys().toArray(new String[0])));
    maxSteps = new IntParam(this, "maxSteps", "optimizer steps (≥ 1)", ParamValidators.gtEq(1));
    batchSize = new IntParam(this, "batchSize", "examples per step (≥ 1)", ParamValidators.gtEq(1));
    learningRate =
        new DoubleParam(this, "learningRate", "peak learning rate (> 0)", ParamValidators.gt(0));
    modelPath =
        new Param<>(
            this,
            "modelPath",
            "reference model directory in the Hugging Face layout (any Hadoop URI)");
    runDir =
        new Param<>(
            this,
            "runDir",
            "run directory for anchors, checkpoints and the trained model (any Hadoop URI)");
    seed = new IntParam(this, "seed", "run seed (≥ 0)", ParamValidators.gtEq(0));
    extraConf =
        new StringArrayParam(
            this,
            "extraConf",
            "further job configuration as key=value (see the README's table of keys)");
    // as the command line's --overwrite and --resume: RunDir refuses an existing run without them
    overwrite =
        new BooleanParam(
            this,
            "overwrite",
            "replace an existing run in runDir (the command line's --overwrite)");
    resume =
        new BooleanParam(
            this,
            "resume",
            "continue the run in runDir from its newest complete checkpoint (--resume)");
    JobConfig d = JobConfig.defaults();
    TrainConfig t = d.trainConfig();
    setDefault(beta, t.get(TrainConfig.BETA));
    setDefault(alpha, t.get(TrainConfig.ALPHA));
    setDefault(numAnchors, d.get(Keys.ANCHORS_NUM));
    setDefault(loss, d.get(Keys.TRAIN_LOSS));
    setDefault(maxSteps, d.get(Keys.TRAIN_MAX_STEPS));
    setDefault(batchSize, d.get(Keys.TRAIN_BATCH_SIZE));
    setDefault(learningRate, t.get(TrainConfig.LEARNING_RATE));
    setDefault(modelPath, d.get(Keys.MODEL_PATH));
    setDefault(runDir, d.get(Keys.RUN_DIR));
    setDefault(seed, d.get(Keys.RUN_SEED));
    setDefault(extraConf, new String[0]);
    setDefault(overwrite, false);
    setDefault(resume, false);
  }

  /** The beta Param (MLlib finds Params through public no-argument methods). */
  public DoubleParam beta() {
    return beta;
  }

  /** The alpha Param (MLlib finds Params through public no-argument methods). */
  public DoubleParam alpha() {
    return alpha;
  }

  /** The numAnchors Param (MLlib finds Params through public no-argument methods). */
  public IntParam numAnchors() {
    return numAnchors;
  }

  /** The loss Param (MLlib finds Params through public no-argument methods). */
  public Param<String> loss() {
    return loss;
  }

  /** The maxSteps Param (MLlib finds Params through public no-argument methods). */
  public IntParam maxSteps() {
    return maxSteps;
  }

  /** The batchSize Param (MLlib finds Params through public no-argument methods). */
  public IntParam batchSize() {
    return batchSize;
  }

  /** The learningRate Param (MLlib finds Params through public no-argument methods). */
  public DoubleParam learningRate() {
    return learningRate;
  }

  /** The modelPath Param (MLlib finds Params through public no-argument methods). */
  public Param<String> modelPath() {
    return modelPath;
  }

  /** The runDir Param (MLlib finds Params through public no-argument methods). */
  public Param<String> runDir() {
    return runDir;
  }

  /** The seed Param (MLlib finds Params through public no-argument methods). */
  public IntParam seed() {
    return seed;
  }

  /** The extraConf Param (MLlib finds Params through public no-argument methods). */
  public StringArrayParam extraConf() {
    return extraConf;
  }

  /** The overwrite Param (MLlib finds Params through public no-argument methods). */
  public BooleanParam overwrite() {
    return overwrite;
  }

  /** The resume Param (MLlib finds Params through public no-argument methods). */
  public BooleanParam resume() {
    return resume;
  }

  @Override
  public String uid() {
    return uid;
  }

  /** The job configuration these Params describe. */
  public JobConfig jobConfig() {
    List<String> sets =
        new ArrayList<>(
            List.of(
                set(Keys.train(TrainConfig.BETA), beta),
                set(Keys.train(TrainConfig.ALPHA), alpha),
                set(Keys.ANCHORS_NUM, numAnchors),
                set(Keys.TRAIN_LOSS, loss),
                set(Keys.TRAIN_MAX_STEPS, maxSteps),
                set(Keys.TRAIN_BATCH_SIZE, batchSize),
                set(Keys.train(TrainConfig.LEARNING_RATE), learningRate),
                set(Keys.MODEL_PATH, modelPath),
                set(Keys.RUN_DIR, runDir),
                set(Keys.RUN_SEED, seed)));
    sets.addAll(Arrays.asList(this.<String[]>value(extraConf)));
    return JobConfig.load(null, sets);
  }

  @Override
  public D2OModel fit(Dataset<?> dataset) {
    transformSchema(dataset.schema());
    JobConfig cfg = jobConfig();
    @SuppressWarnings("unchecked")
    Dataset<Row> rows = (Dataset<Row>) dataset.toDF();
    var summary =
        Pipeline.run(
            dataset.sparkSession(),
            cfg,
            Pipeline.Stage.ALL,
            (Boolean) value(resume),
            (Boolean) value(overwrite),
            rows);
    D2OModel model = new D2OModel(uid, summary.get("final_model").asText());
    model.setParent(this);
    model.set(model.promptFormat(), cfg.get(Keys.DATA_PROMPT_FORMAT));
    model.set(model.chatTemplate(), cfg.get(Keys.MODEL_CHAT_TEMPLATE));
    return model.setSeed((Integer) value(seed));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    List<String> names = Arrays.asList(schema.fieldNames());
    if (!names.contains("prompt") || !(names.contains("negative") || names.contains("rejected"))) {
      throw new IllegalArgumentException(
          "D2O.fit needs a 'prompt' and a 'negative' (or 'rejected') column; found "
              + schema.simpleString());
    }
    return schema;
  }

  @Override
  public D2O copy(ParamMap extra) {
    return defaultCopy(extra);
  }

  /** Reads an Estimator saved with {@code write().save(path)}. */
  public static MLReader<D2O> read() {
    return new DefaultParamsReader<>();
  }

  /** Loads an Estimator saved with {@code write().save(path)}. */
  public static D2O load(String path) {
    return read().load(path);
  }

  /** The {@code --set} override that gives {@code key} the value of {@code param}. */
  private String set(Key<?> key, Param<?> param) {
    return key.name() + "=" + getOrDefault(param);
  }

  @SuppressWarnings("unchecked")
  private <T> T value(Param<?> p) {
    return (T) getOrDefault(p);
  }
}
