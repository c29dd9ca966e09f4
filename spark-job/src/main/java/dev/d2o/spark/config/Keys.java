package dev.d2o.spark.config;

import static dev.d2o.config.Key.integer;
import static dev.d2o.config.Key.nonNegative;
import static dev.d2o.config.Key.oneOf;
import static dev.d2o.config.Key.range;
import static dev.d2o.config.Key.text;

import dev.d2o.config.Key;
import dev.d2o.config.KeyRegistry;
import dev.d2o.model.WeightType;
import dev.d2o.train.TrainConfig;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Every configuration key of the job, declared once with its default, validator and doc. Each
 * declaration registers itself ({@link KeyRegistry}), so {@link #ALL} is built from the
 * declarations, in the order they are written here (the order of {@code bin/d2o keys}, the README
 * table and the saved {@code config.conf}). The training options are model-core's {@link
 * TrainConfig} keys under {@code train.}; the {@code lora.*} keys are declared in {@link LoraKeys},
 * the {@code eval.*} and {@code tracking.*} keys in {@link EvalKeys}, and registered here in their
 * place.
 */
public final class Keys {
  // Must come first: every key below registers itself here as it is initialized.
  private static final KeyRegistry REGISTRY = new KeyRegistry();

  /** The prefix of model-core's training options. */
  public static final String TRAIN_PREFIX = "train.";

  /** The values {@code data.preset} allows (dev.d2o.spark.data.Preset reads each). */
  public static final List<String> PRESETS =
      List.of("none", "pku-saferlhf", "hh-rlhf", "trl-preference", "trl-unpaired");

  /** What {@code model.device} accepts. */
  public static final Pattern DEVICES_SYNTAX =
      Pattern.compile("auto|gpu|(cpu|gpu:\\d+)(,(cpu|gpu:\\d+))*");

  /** How {@code model.device} is described in errors and the keys table. */
  public static final String DEVICES_ALLOWED = "auto, cpu, gpu, or a list such as gpu:0,gpu:1";

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
  public static final Key<String> MODEL_DTYPE =
      declare(
          oneOf(
              "model.dtype",
              "auto",
              WeightType.OPTIONS,
              "Storage of frozen weights (the reference, a LoRA base): auto (the checkpoint's"
                  + " torch_dtype on a GPU; on a CPU float32 stays float32 and float16/bfloat16"
                  + " become float16), float32, float16 or bfloat16 (GPU only); compute, adapters"
                  + " and a full fine-tuning policy stay float32"));
  public static final Key<String> MODEL_DEVICE =
      declare(
          Key.of(
              "model.device",
              String.class,
              "auto",
              DEVICES_ALLOWED,
              v -> DEVICES_SYNTAX.matcher(v).matches(),
              "Where executors hold the models: auto (the task's GPUs when DJL sees one, else the"
                  + " CPU), cpu, gpu (every GPU Spark gives the task), or a list such as"
                  + " gpu:0,gpu:1 over which contiguous layer ranges are placed when the model"
                  + " does not fit one device"));
  public static final Key<Double> MODEL_DEVICE_MEMORY_GB =
      declare(
          nonNegative(
              "model.deviceMemoryGb",
              0.0,
              "Weights each device of model.device may hold, in GB, for placing layers (0 ="
                  + " 75% of a GPU's memory; no limit on the CPU)"));

  // lora: declared in LoraKeys, registered here in their place in the order
  public static final List<Key<?>> LORA = REGISTRY.addAll(LoraKeys.ALL);

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

  // eval and tracking: declared in EvalKeys (this file would pass 350 lines), registered here in
  // their place in the order
  public static final List<Key<?>> EVAL_AND_TRACKING = REGISTRY.addAll(EvalKeys.ALL);

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
