package dev.d2o.spark.config;

import static dev.d2o.spark.config.Key.flag;
import static dev.d2o.spark.config.Key.integer;
import static dev.d2o.spark.config.Key.nonNegative;
import static dev.d2o.spark.config.Key.oneOf;
import static dev.d2o.spark.config.Key.positive;
import static dev.d2o.spark.config.Key.range;
import static dev.d2o.spark.config.Key.text;

import dev.d2o.train.LossConfig;
import dev.d2o.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Every configuration key of the job, declared once. The README's table is checked against this
 * list by a test.
 */
public final class Keys {
  private Keys() {}

  // run
  public static final Key<String> RUN_DIR =
      text(
          "run.dir",
          "runs/local",
          "Run directory (any Hadoop URI): config, anchors, checkpoints, metrics, eval, final model",
          false);
  public static final Key<Integer> RUN_SEED =
      integer(
          "run.seed", 0, 0, "Seed of anchor sampling, data order and evaluation sampling", true);
  public static final Key<String> RUN_MASTER =
      text(
          "run.master",
          "local[*]",
          "Spark master when none is given by spark-submit (the embedded default runs in-process)",
          false);
  public static final Key<Integer> RUN_PARTITIONS =
      integer(
          "run.partitions",
          0,
          0,
          "Partitions of the prompt data (0 = Spark's default parallelism)",
          false);

  // data
  public static final Key<String> DATA_INPUT =
      text(
          "data.input",
          "data-samples/negatives-sample.jsonl",
          "Training prompts with a human negative: Parquet or JSONL with prompt, negative (or rejected), optional id",
          true);
  public static final Key<Integer> DATA_MAX_ROWS =
      integer(
          "data.maxRows",
          0,
          0,
          "Use only the first N valid rows by id (0 = all); the rest are counted in the summary as unused",
          true);
  public static final Key<String> DATA_FORMAT =
      oneOf(
          "data.format",
          "auto",
          List.of("auto", "parquet", "jsonl", "delta"),
          "Input format; auto reads a Delta Lake table directory (_delta_log/) with Delta, other"
              + " paths by file extension; Iceberg table directories are refused",
          false);
  public static final Key<String> DATA_EVAL =
      text(
          "data.eval",
          "",
          "Held-out prompts (same schema) for evaluate; empty skips evaluate",
          false);
  public static final Key<String> DATA_LENGTH_POLICY =
      oneOf(
          "data.lengthPolicy",
          "fail",
          List.of("fail", "truncate-prompt-left"),
          "Rows longer than the model's context",
          true);

  // model
  public static final Key<String> MODEL_PATH =
      text(
          "model.path",
          "data-samples/tiny-random-llama",
          "Reference model directory in the Hugging Face layout; also the policy's starting point",
          true);
  public static final Key<String> MODEL_DEVICE =
      oneOf(
          "model.device",
          "auto",
          dev.d2o.spark.Devices.NAMES,
          "Where executors run the models: auto (a GPU when DJL sees one, else the CPU), cpu or gpu",
          false);

  // lora
  public static final Key<Integer> LORA_RANK =
      integer(
          "lora.rank",
          0,
          0,
          "LoRA rank r (0 = full fine-tuning): only the adapters train, travel and are checkpointed; the base model is"
              + " frozen and doubles as the reference",
          true);
  public static final Key<Double> LORA_ALPHA =
      positive("lora.alpha", 16.0, "LoRA alpha: the adapter update is (alpha/r)·B·A", true);
  public static final Key<Double> LORA_DROPOUT =
      new Key<>(
          "lora.dropout",
          Double.class,
          0.0,
          "Dropout on the adapter input (PEFT's lora_dropout); not implemented yet, so only 0 is accepted",
          "0 (dropout > 0 is not implemented yet)",
          v -> v == 0.0,
          true);
  public static final Key<String> LORA_TARGETS =
      text(
          "lora.targets",
          "auto",
          "Comma-separated modules to adapt, matched as PEFT's target_modules (Llama q_proj,k_proj,v_proj,o_proj,"
              + "gate_proj,up_proj,down_proj; GPT-2 c_attn,c_proj,c_fc); auto = the attention projections",
          true);

  // anchors
  public static final Key<Integer> ANCHORS_NUM =
      integer("anchors.numSamples", 11, 1, "K, anchors sampled per prompt", true);
  public static final Key<Double> ANCHORS_TEMPERATURE =
      nonNegative("anchors.temperature", 1.0, "Sampling temperature of anchors (0 = greedy)", true);
  public static final Key<Double> ANCHORS_TOP_P =
      range("anchors.topP", 1.0, 0, 1, true, "Nucleus sampling of anchors", true);
  public static final Key<Integer> ANCHORS_TOP_K =
      integer("anchors.topK", 0, 0, "Top-k sampling of anchors (0 = off)", true);
  public static final Key<Integer> ANCHORS_MAX_NEW_TOKENS =
      integer("anchors.maxNewTokens", 32, 1, "Longest anchor in tokens", true);
  public static final Key<String> ANCHORS_PREFIX =
      text(
          "anchors.prefix",
          "",
          "Instruction prepended to the prompt while sampling anchors only (anchors are scored under the plain prompt)",
          true);
  public static final Key<Integer> ANCHORS_REFRESH_EVERY =
      integer(
          "anchors.refreshEvery",
          0,
          0,
          "Regenerate anchors from the current policy every N steps (0 = offline anchors)",
          true);
  public static final Key<Integer> ANCHORS_BATCH_SIZE =
      integer(
          "anchors.batchSize",
          8,
          1,
          "Prompts per canonical generation group (cut in id order, so samples do not depend on partitioning)",
          false);

  // train: the options of model-core's TrainConfig, under "train." (declared there once; K and the
  // seed come from
  // anchors.numSamples and run.seed)
  public static final List<Key<?>> TRAIN = trainKeys();
  public static final Key<String> TRAIN_LOSS = train("loss", String.class);
  public static final Key<Integer> TRAIN_MAX_STEPS = train("maxSteps", Integer.class);
  public static final Key<Integer> TRAIN_BATCH_SIZE = train("batchSize", Integer.class);
  public static final Key<Integer> TRAIN_CHUNK = train(TrainConfig.KEY_CHUNK, Integer.class);
  public static final Key<Integer> TRAIN_CHECKPOINT_EVERY = train("checkpointEvery", Integer.class);
  public static final Key<Integer> TRAIN_KEEP_CHECKPOINTS = train("keepCheckpoints", Integer.class);
  public static final Key<Integer> TREE_DEPTH =
      integer("run.treeDepth", 2, 1, "Depth of treeAggregate for the gradient sums", false);
  public static final Key<Integer> REFERENCE_UPDATE_EVERY =
      integer(
          "reference.updateEvery",
          0,
          0,
          "Copy the policy into the reference every N steps (0 = never)",
          true);

  // eval
  public static final Key<Integer> EVAL_MAX_PROMPTS =
      integer("eval.maxPrompts", 64, 1, "Held-out prompts evaluated", false);
  public static final Key<Integer> EVAL_MAX_NEW_TOKENS =
      integer("eval.maxNewTokens", 32, 1, "Longest evaluation response", false);
  public static final Key<Double> EVAL_TEMPERATURE =
      nonNegative("eval.temperature", 1.0, "Sampling temperature of evaluation responses", false);
  public static final Key<String> EVAL_COST_MODEL =
      text(
          "eval.costModel",
          "",
          "Spark MLlib PipelineModel that scores harmfulness (empty = none)",
          false);
  public static final Key<String> EVAL_COST_MODEL_TEXT_COLUMN =
      text(
          "eval.costModelTextColumn",
          "text",
          "String column of response text that the cost model reads",
          false);
  public static final Key<String> EVAL_COST_MODEL_PREDICTION_COLUMN =
      text(
          "eval.costModelPredictionColumn",
          "prediction",
          "Column the cost model writes; 1.0 means harmful",
          false);
  public static final Key<Integer> EVAL_EVERY =
      integer(
          "eval.every",
          0,
          0,
          "During train: the harmful rate of the policy on eval.everyPrompts held-out prompts every N steps, logged as"
              + " eval/harmful_rate (needs data.eval and eval.costModel; 0 = off)",
          false);
  public static final Key<Integer> EVAL_EVERY_PROMPTS =
      integer("eval.everyPrompts", 64, 1, "Held-out prompts used by eval.every", false);
  public static final Key<Boolean> EVAL_ENABLED =
      flag("eval.enabled", true, "Run evaluate after train when data.eval is set", false);

  /** All keys, in documentation order. */
  public static final List<Key<?>> ALL = all();

  private static List<Key<?>> all() {
    List<Key<?>> keys =
        new ArrayList<>(
            List.of(
                RUN_DIR,
                RUN_SEED,
                RUN_MASTER,
                RUN_PARTITIONS,
                TREE_DEPTH,
                DATA_INPUT,
                DATA_MAX_ROWS,
                DATA_FORMAT,
                DATA_EVAL,
                DATA_LENGTH_POLICY,
                MODEL_PATH,
                MODEL_DEVICE,
                LORA_RANK,
                LORA_ALPHA,
                LORA_DROPOUT,
                LORA_TARGETS,
                ANCHORS_NUM,
                ANCHORS_TEMPERATURE,
                ANCHORS_TOP_P,
                ANCHORS_TOP_K,
                ANCHORS_MAX_NEW_TOKENS,
                ANCHORS_PREFIX,
                ANCHORS_REFRESH_EVERY,
                ANCHORS_BATCH_SIZE));
    keys.addAll(TRAIN);
    keys.addAll(
        List.of(
            REFERENCE_UPDATE_EVERY,
            EVAL_MAX_PROMPTS,
            EVAL_MAX_NEW_TOKENS,
            EVAL_TEMPERATURE,
            EVAL_COST_MODEL,
            EVAL_COST_MODEL_TEXT_COLUMN,
            EVAL_COST_MODEL_PREDICTION_COLUMN,
            EVAL_EVERY,
            EVAL_EVERY_PROMPTS,
            EVAL_ENABLED));
    return List.copyOf(keys);
  }

  private static List<Key<?>> trainKeys() {
    // options of TrainConfig that the job sets from its own keys rather than under "train."
    Set<String> derived = Set.of(LossConfig.KEY_K, "seed");
    List<Key<?>> keys = new ArrayList<>();
    for (TrainConfig.Option o : TrainConfig.OPTIONS) {
      if (!derived.contains(o.key())) {
        keys.add(fromOption(o, o.defaultValue().getClass()));
      }
    }
    return List.copyOf(keys);
  }

  private static <T> Key<T> fromOption(TrainConfig.Option o, Class<T> type) {
    Predicate<Object> valid = o.valid();
    String allowed = o.allowed();
    if (allowed.matches("^[>≥<≤].*|^in [\\[(].*")) {
      allowed = (type == Integer.class ? "an integer " : "a number ") + allowed;
    }
    return new Key<>(
        "train." + o.key(),
        type,
        type.cast(o.defaultValue()),
        o.doc(),
        allowed,
        valid::test,
        o.resumeRelevant());
  }

  @SuppressWarnings("unchecked")
  private static <T> Key<T> train(String option, Class<T> type) {
    for (Key<?> k : TRAIN) {
      if (k.name().equals("train." + option) && k.type() == type) {
        return (Key<T>) k;
      }
    }
    throw new IllegalStateException(
        "no training option " + option + " of type " + type.getSimpleName());
  }
}
