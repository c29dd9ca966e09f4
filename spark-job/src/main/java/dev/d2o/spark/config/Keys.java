package dev.d2o.spark.config;

import static dev.d2o.config.Key.flag;
import static dev.d2o.config.Key.integer;
import static dev.d2o.config.Key.nonNegative;
import static dev.d2o.config.Key.oneOf;
import static dev.d2o.config.Key.positive;
import static dev.d2o.config.Key.range;
import static dev.d2o.config.Key.text;

import dev.d2o.config.Key;
import dev.d2o.config.KeyRegistry;
import dev.d2o.train.TrainConfig;
import java.util.List;

/**
 * Every configuration key of the job, declared once with its default, validator and doc. Each
 * declaration registers itself ({@link KeyRegistry}), so {@link #ALL} is built from the
 * declarations, in the order they are written here (the order of {@code bin/d2o keys}, the README
 * table and the saved {@code config.conf}). The training options are model-core's {@link
 * TrainConfig} keys under {@code train.}.
 */
public final class Keys {
  // Must come first: every key below registers itself here as it is initialized.
  private static final KeyRegistry REGISTRY = new KeyRegistry();

  /** The prefix of model-core's training options. */
  public static final String TRAIN_PREFIX = "train.";

  /** The values {@code data.preset} allows (dev.d2o.spark.data.Preset reads each). */
  public static final List<String> PRESETS =
      List.of("none", "pku-saferlhf", "hh-rlhf", "trl-preference", "trl-unpaired");

  /** The values {@code model.device} allows. */
  public static final List<String> DEVICES = List.of("auto", "cpu", "gpu");

  private Keys() {}

  // run
  public static final Key<String> RUN_DIR =
      declare(
          text(
              "run.dir",
              "runs/local",
              "Run directory (any Hadoop URI): config, anchors, checkpoints, metrics, eval, final"
                  + " model"));
  public static final Key<Integer> RUN_SEED =
      declare(
          integer("run.seed", 0, 0, "Seed of anchor sampling, data order and evaluation sampling")
              .mustMatchOnResume());
  public static final Key<String> RUN_MASTER =
      declare(
          text(
              "run.master",
              "local[*]",
              "Spark master when none is given by spark-submit (the embedded default runs"
                  + " in-process)"));
  public static final Key<Integer> RUN_PARTITIONS =
      declare(
          integer(
              "run.partitions",
              0,
              0,
              "Partitions of the prompt data (0 = Spark's default parallelism)"));
  public static final Key<Integer> TREE_DEPTH =
      declare(integer("run.treeDepth", 2, 1, "Depth of treeAggregate for the gradient sums"));
  public static final Key<Integer> RUN_LOCK_TIMEOUT =
      declare(
          integer(
              "run.lockTimeout",
              180,
              1,
              "Seconds after which the run directory's lock, when its run stops renewing it (every"
                  + " quarter of this), has expired and a run on any host may take it over"));
  public static final Key<String> RUN_ANCHORS_TABLE =
      declare(
          text(
              "run.anchorsTable",
              "",
              "Also save the anchors as this catalog table (catalog.schema.name, replaced when it"
                  + " exists; empty = only run.dir/anchors)"));

  // data
  public static final Key<String> DATA_INPUT =
      declare(
          text(
                  "data.input",
                  "data-samples/negatives-sample.jsonl",
                  "Training prompts with a human negative: Parquet or JSONL with prompt, negative"
                      + " (or rejected), optional id; a Delta table directory; or"
                      + " table:catalog.schema.name (a catalog table)")
              .mustMatchOnResume());
  public static final Key<String> DATA_PRESET =
      declare(
          oneOf(
                  "data.preset",
                  "none",
                  PRESETS,
                  "How input rows become (prompt, negative): none (the columns below), a public"
                      + " data set's layout (pku-saferlhf, hh-rlhf) or TRL's formats"
                      + " (trl-preference, trl-unpaired); also applies to data.eval")
              .mustMatchOnResume());
  public static final Key<String> DATA_COLUMN_PROMPT =
      declare(
          text("data.columns.prompt", "prompt", "Input column of the prompt (data.preset = none)")
              .mustMatchOnResume());
  public static final Key<String> DATA_COLUMN_NEGATIVE =
      declare(
          text(
                  "data.columns.negative",
                  "",
                  "Input column of the negative (data.preset = none); empty = negative, or its"
                      + " alias rejected")
              .mustMatchOnResume());
  public static final Key<String> DATA_COLUMN_ID =
      declare(
          text(
                  "data.columns.id",
                  "id",
                  "Input column of the row id (any preset); rows of an input without it are"
                      + " numbered row-<n>")
              .mustMatchOnResume());
  public static final Key<String> DATA_PROMPT_FORMAT =
      declare(
          oneOf(
                  "data.promptFormat",
                  "auto",
                  List.of("auto", "chat", "raw"),
                  "How prompts become model input: chat renders them with the model's chat"
                      + " template (model.chatTemplate, else tokenizer_config.json), raw feeds the"
                      + " text; auto = chat when there is a template")
              .mustMatchOnResume());
  public static final Key<Integer> DATA_MAX_ROWS =
      declare(
          integer(
                  "data.maxRows",
                  0,
                  0,
                  "Use only the first N valid rows by id (0 = all); the rest are counted in the"
                      + " summary as unused")
              .mustMatchOnResume());
  public static final Key<String> DATA_FORMAT =
      declare(
          oneOf(
              "data.format",
              "auto",
              List.of("auto", "parquet", "jsonl", "delta"),
              "Input format; auto reads a Delta Lake table directory (_delta_log/) with Delta, other"
                  + " paths by file extension; Iceberg table directories are refused"));
  public static final Key<String> DATA_EVAL =
      declare(
          text(
              "data.eval",
              "",
              "Held-out prompts (same schema) for evaluate; empty skips evaluate"));
  public static final Key<String> DATA_LENGTH_POLICY =
      declare(
          oneOf(
                  "data.lengthPolicy",
                  "fail",
                  List.of("fail", "truncate-prompt-left"),
                  "Rows longer than the model's context")
              .mustMatchOnResume());

  // model
  public static final Key<String> MODEL_PATH =
      declare(
          text(
                  "model.path",
                  "data-samples/tiny-random-llama",
                  "Reference model directory in the Hugging Face layout; also the policy's"
                      + " starting point")
              .mustMatchOnResume());
  public static final Key<String> MODEL_CHAT_TEMPLATE =
      declare(
          text(
                  "model.chatTemplate",
                  "",
                  "Chat template file (Jinja, or JSON with a chat_template key) used instead of"
                      + " the model's own; empty = the model's tokenizer_config.json")
              .mustMatchOnResume());
  public static final Key<String> MODEL_DEVICE =
      declare(
          oneOf(
              "model.device",
              "auto",
              DEVICES,
              "Where executors run the models: auto (a GPU when DJL sees one, else the CPU), cpu"
                  + " or gpu"));

  // lora
  public static final Key<Integer> LORA_RANK =
      declare(
          integer(
                  "lora.rank",
                  0,
                  0,
                  "LoRA rank r (0 = full fine-tuning): only the adapters train, travel and are"
                      + " checkpointed; the base model is frozen and doubles as the reference")
              .mustMatchOnResume());
  public static final Key<Double> LORA_ALPHA =
      declare(
          positive("lora.alpha", 16.0, "LoRA alpha: the adapter update is (alpha/r)·B·A")
              .mustMatchOnResume());
  public static final Key<Double> LORA_DROPOUT =
      declare(
          Key.of(
                  "lora.dropout",
                  Double.class,
                  0.0,
                  "0 (dropout > 0 is not implemented yet)",
                  v -> v == 0.0,
                  "Dropout on the adapter input (PEFT's lora_dropout); not implemented yet, so"
                      + " only 0 is accepted")
              .mustMatchOnResume());
  public static final Key<String> LORA_TARGETS =
      declare(
          text(
                  "lora.targets",
                  "auto",
                  "Comma-separated modules to adapt, matched as PEFT's target_modules (Llama"
                      + " q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj; GPT-2"
                      + " c_attn,c_proj,c_fc); auto = the attention projections")
              .mustMatchOnResume());

  // anchors
  public static final Key<Integer> ANCHORS_NUM =
      declare(
          integer("anchors.numSamples", 11, 1, "K, anchors sampled per prompt")
              .mustMatchOnResume());
  public static final Key<Double> ANCHORS_TEMPERATURE =
      declare(
          nonNegative("anchors.temperature", 1.0, "Sampling temperature of anchors (0 = greedy)")
              .mustMatchOnResume());
  public static final Key<Double> ANCHORS_TOP_P =
      declare(
          range("anchors.topP", 1.0, 0, true, 1, false, "Nucleus sampling of anchors")
              .mustMatchOnResume());
  public static final Key<Integer> ANCHORS_TOP_K =
      declare(
          integer("anchors.topK", 0, 0, "Top-k sampling of anchors (0 = off)").mustMatchOnResume());
  public static final Key<Integer> ANCHORS_MAX_NEW_TOKENS =
      declare(
          integer("anchors.maxNewTokens", 32, 1, "Longest anchor in tokens").mustMatchOnResume());
  public static final Key<String> ANCHORS_PREFIX =
      declare(
          text(
                  "anchors.prefix",
                  "",
                  "Instruction prepended to the prompt while sampling anchors only (anchors are"
                      + " scored under the plain prompt)")
              .mustMatchOnResume());
  public static final Key<Integer> ANCHORS_REFRESH_EVERY =
      declare(
          integer(
                  "anchors.refreshEvery",
                  0,
                  0,
                  "Regenerate anchors from the current policy every N steps (0 = offline anchors)")
              .mustMatchOnResume());
  public static final Key<Integer> ANCHORS_BATCH_SIZE =
      declare(
          integer(
              "anchors.batchSize",
              8,
              1,
              "Prompts per canonical generation group (cut in id order, so samples do not depend"
                  + " on partitioning)"));

  /**
   * {@code train.microBatches}, which the Spark trainer refuses above 1: its executors already sum
   * each global batch chunk by chunk (train.chunkSize examples per pass), which is gradient
   * accumulation; cutting the batch into more jobs would bound nothing more.
   */
  private static final Key<Integer> MICRO_BATCHES =
      new Key<>(
          TRAIN_PREFIX + TrainConfig.MICRO_BATCHES.name(),
          Integer.class,
          1,
          "1 (the Spark trainer already sums each batch chunk by chunk: set train.chunkSize to"
              + " bound memory)",
          v -> v == 1,
          TrainConfig.MICRO_BATCHES.resumeRelevant(),
          "gradient accumulation of the single-process trainer (LocalTrainer); the Spark trainer"
              + " accumulates every batch over chunks of train.chunkSize and takes only 1");

  // train: model-core's training options under "train.", except K and the data-order seed, which
  // the job takes from anchors.numSamples and run.seed
  public static final List<Key<?>> TRAIN =
      REGISTRY.addAll(
          TrainConfig.KEYS.stream()
              .filter(k -> k != TrainConfig.K && k != TrainConfig.SEED)
              .map(k -> k == TrainConfig.MICRO_BATCHES ? MICRO_BATCHES : k.under(TRAIN_PREFIX))
              .toList());
  public static final Key<String> TRAIN_LOSS = train(TrainConfig.LOSS);
  public static final Key<Integer> TRAIN_MAX_STEPS = train(TrainConfig.MAX_STEPS);
  public static final Key<Integer> TRAIN_BATCH_SIZE = train(TrainConfig.BATCH_SIZE);
  public static final Key<Integer> TRAIN_CHECKPOINT_EVERY = train(TrainConfig.CHECKPOINT_EVERY);
  public static final Key<Integer> REFERENCE_UPDATE_EVERY =
      declare(
          integer(
                  "reference.updateEvery",
                  0,
                  0,
                  "Copy the policy into the reference every N steps (0 = never)")
              .mustMatchOnResume());

  // eval
  public static final Key<Integer> EVAL_MAX_PROMPTS =
      declare(integer("eval.maxPrompts", 64, 1, "Held-out prompts evaluated"));
  public static final Key<Integer> EVAL_MAX_NEW_TOKENS =
      declare(integer("eval.maxNewTokens", 32, 1, "Longest evaluation response"));
  public static final Key<Double> EVAL_TEMPERATURE =
      declare(nonNegative("eval.temperature", 1.0, "Sampling temperature of evaluation responses"));
  public static final Key<String> EVAL_COST_MODEL =
      declare(
          text(
              "eval.costModel",
              "",
              "Spark MLlib PipelineModel that scores harmfulness (empty = none)"));
  public static final Key<String> EVAL_COST_MODEL_TEXT_COLUMN =
      declare(
          text(
              "eval.costModelTextColumn",
              "text",
              "String column of response text that the cost model reads"));
  public static final Key<String> EVAL_COST_MODEL_PREDICTION_COLUMN =
      declare(
          text(
              "eval.costModelPredictionColumn",
              "prediction",
              "Column the cost model writes; 1.0 means harmful"));
  public static final Key<Integer> EVAL_EVERY =
      declare(
          integer(
              "eval.every",
              0,
              0,
              "During train: the harmful rate of the policy on eval.everyPrompts held-out prompts"
                  + " every N steps, logged as eval/harmful_rate (needs data.eval and"
                  + " eval.costModel; 0 = off)"));
  public static final Key<Integer> EVAL_EVERY_PROMPTS =
      declare(integer("eval.everyPrompts", 64, 1, "Held-out prompts used by eval.every"));
  public static final Key<Boolean> EVAL_ENABLED =
      declare(flag("eval.enabled", true, "Run evaluate after train when data.eval is set"));

  // tracking
  public static final Key<String> TRACKING_MLFLOW_URI =
      declare(
          text(
              "tracking.mlflow.uri",
              "",
              "MLflow tracking server (http or https URL; empty = no tracking); a bearer token is"
                  + " read from the environment variable MLFLOW_TRACKING_TOKEN, never from a key"));
  public static final Key<String> TRACKING_MLFLOW_EXPERIMENT =
      declare(
          text(
              "tracking.mlflow.experiment",
              "d2o",
              "MLflow experiment of the run (created when missing)"));
  public static final Key<String> TRACKING_MLFLOW_RUN_NAME =
      declare(
          text(
              "tracking.mlflow.runName", "", "MLflow run name (empty = the run directory's name)"));

  /** All keys, in declaration order. */
  public static final List<Key<?>> ALL = REGISTRY.all();

  /** The declared key named {@code name}, or null. */
  public static Key<?> find(String name) {
    return REGISTRY.find(name).orElse(null);
  }

  /** The declared key closest to {@code name} (for "did you mean" suggestions). */
  public static String nearest(String name) {
    return REGISTRY.nearest(name);
  }

  /** The job's key of the training option {@code option} ({@code train.<name>}). */
  public static <T> Key<T> train(Key<T> option) {
    Key<T> key = option.under(TRAIN_PREFIX);
    if (!TRAIN.contains(key)) {
      throw new IllegalArgumentException(option.name() + " is not a train.* key of the job");
    }
    return key;
  }

  private static <T> Key<T> declare(Key<T> key) {
    return REGISTRY.add(key);
  }
}
