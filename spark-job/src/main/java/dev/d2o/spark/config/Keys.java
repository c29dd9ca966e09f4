package dev.d2o.spark.config;

import static dev.d2o.spark.config.Key.flag;
import static dev.d2o.spark.config.Key.integer;
import static dev.d2o.spark.config.Key.nonNegative;
import static dev.d2o.spark.config.Key.oneOf;
import static dev.d2o.spark.config.Key.positive;
import static dev.d2o.spark.config.Key.range;
import static dev.d2o.spark.config.Key.text;

import java.util.List;

/** Every configuration key of the job, declared once. The README's table is checked against this list by a test. */
public final class Keys {
  private Keys() {}

  // run
  public static final Key<String> RUN_DIR = text("run.dir", "runs/local",
      "Run directory (any Hadoop URI): config, anchors, checkpoints, metrics, eval, final model", false);
  public static final Key<Integer> RUN_SEED = integer("run.seed", 0, 0,
      "Seed of anchor sampling, data order and evaluation sampling", true);
  public static final Key<String> RUN_MASTER = text("run.master", "local[*]",
      "Spark master when none is given by spark-submit (the embedded default runs in-process)", false);
  public static final Key<Integer> RUN_PARTITIONS = integer("run.partitions", 0, 0,
      "Partitions of the prompt data (0 = Spark's default parallelism)", false);

  // data
  public static final Key<String> DATA_INPUT = text("data.input", "data-samples/negatives-sample.jsonl",
      "Training prompts with a human negative: Parquet or JSONL with prompt, negative (or rejected), optional id",
      true);
  public static final Key<String> DATA_FORMAT = oneOf("data.format", "auto", List.of("auto", "parquet", "jsonl"),
      "Input format; auto picks by file extension", false);
  public static final Key<String> DATA_EVAL = text("data.eval", "",
      "Held-out prompts (same schema) for evaluate; empty skips evaluate", false);
  public static final Key<String> DATA_LENGTH_POLICY = oneOf("data.lengthPolicy", "fail",
      List.of("fail", "truncate-prompt-left"), "Rows longer than the model's context", true);

  // model
  public static final Key<String> MODEL_PATH = text("model.path", "data-samples/tiny-random-llama",
      "Reference model directory in the Hugging Face layout; also the policy's starting point", true);

  // anchors
  public static final Key<Integer> ANCHORS_NUM = integer("anchors.numSamples", 11, 1,
      "K, anchors sampled per prompt", true);
  public static final Key<Double> ANCHORS_TEMPERATURE = nonNegative("anchors.temperature", 1.0,
      "Sampling temperature of anchors (0 = greedy)", true);
  public static final Key<Double> ANCHORS_TOP_P = range("anchors.topP", 1.0, 0, 1, true,
      "Nucleus sampling of anchors", true);
  public static final Key<Integer> ANCHORS_TOP_K = integer("anchors.topK", 0, 0,
      "Top-k sampling of anchors (0 = off)", true);
  public static final Key<Integer> ANCHORS_MAX_NEW_TOKENS = integer("anchors.maxNewTokens", 32, 1,
      "Longest anchor in tokens", true);
  public static final Key<String> ANCHORS_PREFIX = text("anchors.prefix", "",
      "Instruction prepended to the prompt while sampling anchors only (anchors are scored under the plain prompt)",
      true);
  public static final Key<Integer> ANCHORS_REFRESH_EVERY = integer("anchors.refreshEvery", 0, 0,
      "Regenerate anchors from the current policy every N steps (0 = offline anchors)", true);
  public static final Key<Integer> ANCHORS_BATCH_SIZE = integer("anchors.batchSize", 8, 1,
      "Prompts per generation batch on an executor", false);

  // train
  public static final Key<String> TRAIN_LOSS = oneOf("train.loss", "d2o",
      List.of("d2o", "d2o-instance", "dpo", "npo", "ga"), "Objective (ARCHITECTURE.md section 2)", true);
  public static final Key<Double> TRAIN_BETA = positive("train.beta", 0.1, "β, weight of the anchor log-ratio", true);
  public static final Key<Double> TRAIN_ALPHA = nonNegative("train.alpha", 0.1,
      "α, weight of the negative log-ratio", true);
  public static final Key<Integer> TRAIN_MAX_STEPS = integer("train.maxSteps", 20, 1, "Optimizer steps", true);
  public static final Key<Integer> TRAIN_BATCH_SIZE = integer("train.batchSize", 8, 1,
      "Global batch: examples (prompt, negative, K anchors) per step", true);
  public static final Key<Integer> TRAIN_MICRO_BATCH_SIZE = integer("train.microBatchSize", 2, 1,
      "Examples per forward/backward on an executor (memory bound; does not change the result)", false);
  public static final Key<Double> TRAIN_LR = positive("train.learningRate", 1e-5, "Peak learning rate", true);
  public static final Key<Double> TRAIN_WEIGHT_DECAY = nonNegative("train.weightDecay", 0.0,
      "AdamW decoupled weight decay (biases, norms and embeddings excluded)", true);
  public static final Key<Integer> TRAIN_WARMUP = integer("train.warmupSteps", 0, 0, "Linear warmup steps", true);
  public static final Key<String> TRAIN_SCHEDULE = oneOf("train.schedule", "cosine",
      List.of("cosine", "linear", "constant"), "Learning-rate decay after warmup", true);
  public static final Key<Double> TRAIN_MAX_GRAD_NORM = nonNegative("train.maxGradNorm", 1.0,
      "Global-norm gradient clipping (0 = off)", true);
  public static final Key<Integer> TRAIN_CHECKPOINT_EVERY = integer("train.checkpointEvery", 0, 0,
      "Checkpoint every N steps (0 = only at the end)", false);
  public static final Key<Integer> TRAIN_KEEP_CHECKPOINTS = integer("train.keepCheckpoints", 2, 1,
      "Checkpoints kept", false);
  public static final Key<Integer> TRAIN_MAX_SKIPS = integer("train.maxConsecutiveSkips", 5, 1,
      "Non-finite steps in a row before training stops", false);
  public static final Key<Integer> TRAIN_TREE_DEPTH = integer("train.treeDepth", 2, 1,
      "Depth of treeAggregate for gradients", false);
  public static final Key<Integer> REFERENCE_UPDATE_EVERY = integer("reference.updateEvery", 0, 0,
      "Copy the policy into the reference every N steps (0 = never)", true);

  // eval
  public static final Key<Integer> EVAL_MAX_PROMPTS = integer("eval.maxPrompts", 64, 1,
      "Held-out prompts evaluated", false);
  public static final Key<Integer> EVAL_MAX_NEW_TOKENS = integer("eval.maxNewTokens", 32, 1,
      "Longest evaluation response", false);
  public static final Key<Double> EVAL_TEMPERATURE = nonNegative("eval.temperature", 1.0,
      "Sampling temperature of evaluation responses", false);
  public static final Key<String> EVAL_COST_MODEL = text("eval.costModel", "",
      "Spark MLlib PipelineModel that scores harmfulness (empty = none)", false);
  public static final Key<Boolean> EVAL_ENABLED = flag("eval.enabled", true,
      "Run evaluate after train when data.eval is set", false);

  /** All keys, in documentation order. */
  public static final List<Key<?>> ALL = List.of(RUN_DIR, RUN_SEED, RUN_MASTER, RUN_PARTITIONS, DATA_INPUT,
      DATA_FORMAT, DATA_EVAL, DATA_LENGTH_POLICY, MODEL_PATH, ANCHORS_NUM, ANCHORS_TEMPERATURE, ANCHORS_TOP_P,
      ANCHORS_TOP_K, ANCHORS_MAX_NEW_TOKENS, ANCHORS_PREFIX, ANCHORS_REFRESH_EVERY, ANCHORS_BATCH_SIZE, TRAIN_LOSS,
      TRAIN_BETA, TRAIN_ALPHA, TRAIN_MAX_STEPS, TRAIN_BATCH_SIZE, TRAIN_MICRO_BATCH_SIZE, TRAIN_LR,
      TRAIN_WEIGHT_DECAY, TRAIN_WARMUP, TRAIN_SCHEDULE, TRAIN_MAX_GRAD_NORM, TRAIN_CHECKPOINT_EVERY,
      TRAIN_KEEP_CHECKPOINTS, TRAIN_MAX_SKIPS, TRAIN_TREE_DEPTH, REFERENCE_UPDATE_EVERY, EVAL_MAX_PROMPTS,
      EVAL_MAX_NEW_TOKENS, EVAL_TEMPERATURE, EVAL_COST_MODEL, EVAL_ENABLED);
}
