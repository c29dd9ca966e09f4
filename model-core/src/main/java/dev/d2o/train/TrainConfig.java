package dev.d2o.train;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.config.Key;
import dev.d2o.config.KeyRegistry;
import dev.d2o.config.Spelling;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The training options, each declared once below as a typed {@link Key} with its name, default,
 * what is allowed, whether it changes the trajectory (and so must match on resume) and a line of
 * documentation; {@link #KEYS} lists them in declaration order. Values are validated when the
 * configuration is built; an unknown key is an error that suggests the nearest known key. The Spark
 * job offers every option under {@code train.} (except K and the seed, which it takes from its own
 * keys).
 */
public final class TrainConfig {
  private static final ObjectMapper JSON = new ObjectMapper();

  // Must come first: every key below registers itself here as it is initialized.
  private static final KeyRegistry REGISTRY = new KeyRegistry();

  public static final Key<String> LOSS = REGISTRY.add(LossConfig.TYPE);
  public static final Key<Double> BETA = REGISTRY.add(LossConfig.BETA);
  public static final Key<Double> ALPHA = REGISTRY.add(LossConfig.ALPHA);
  public static final Key<Integer> K = REGISTRY.add(LossConfig.K);
  public static final Key<Double> LEARNING_RATE =
      REGISTRY.add(
          Key.positive("learningRate", 1e-6, "peak learning rate (TRL's DPO default)")
              .mustMatchOnResume());
  public static final Key<String> SCHEDULE =
      REGISTRY.add(
          Key.oneOf(
                  "schedule",
                  "linear",
                  List.of("cosine", "linear", "constant"),
                  "shape after warmup, decaying to 0")
              .mustMatchOnResume());
  public static final Key<Integer> WARMUP_STEPS =
      REGISTRY.add(Key.integer("warmupSteps", 0, 0, "linear warmup steps").mustMatchOnResume());
  public static final Key<Integer> MAX_STEPS =
      REGISTRY.add(
          Key.integer("maxSteps", 1000, 1, "total optimizer steps (the schedule's length)")
              .mustMatchOnResume());
  public static final Key<Integer> BATCH_SIZE =
      REGISTRY.add(
          Key.integer("batchSize", 8, 1, "examples per optimizer step (the global batch)")
              .mustMatchOnResume());
  public static final Key<Integer> MICRO_BATCHES =
      REGISTRY.add(
          Key.integer("microBatches", 1, 1, "gradient accumulation: pieces of a global batch"));
  public static final Key<Integer> CHUNK_SIZE =
      REGISTRY.add(
          Key.integer("chunkSize", 4, 1, "examples per forward/backward pass (memory only)"));
  public static final Key<Integer> TOKENS_PER_BACKWARD =
      REGISTRY.add(
          Key.integer(
              "tokensPerBackward",
              0,
              0,
              "padded tokens per backward pass: a chunk's K+1 sequences per example are scored"
                  + " without a graph, then back-propagated in groups of at most this many tokens"
                  + " (at least one sequence), so activations follow one group, not the chunk; 0 ="
                  + " the whole chunk in one pass (memory only)"));
  public static final Key<Integer> GRADIENT_TASKS =
      REGISTRY.add(
          Key.integer(
              "gradientTasks",
              0,
              0,
              "G, tasks per gradient step: the step's chunks are cut into G contiguous groups,"
                  + " one task and one gradient result each, summed in group order (0 = the"
                  + " executors at the start of training; recorded in checkpoints so a resumed"
                  + " run keeps it). With a local master and G > 1 the G tasks run at once, each"
                  + " on its own policy replica with max(1, cores / G) engine threads: with full"
                  + " fine-tuning one F32 model copy per concurrent task (LoRA: adapters only, the"
                  + " base shared). The sums do not depend on G; the engine thread count can change"
                  + " a model's last bits (data-samples/model/README.md)"));
  public static final Key<Double> WEIGHT_DECAY =
      REGISTRY.add(
          Key.nonNegative("weightDecay", 0.0, "AdamW decoupled weight decay λ")
              .mustMatchOnResume());
  public static final Key<String> NO_DECAY =
      REGISTRY.add(
          Key.of(
                  "noDecay",
                  String.class,
                  AdamW.NO_DECAY_DEFAULT,
                  "a regular expression",
                  TrainConfig::compiles,
                  "parameters matching this are not decayed")
              .mustMatchOnResume());
  public static final Key<Double> ADAM_BETA1 =
      REGISTRY.add(Key.range("adamBeta1", 0.9, 0, false, 1, true, "AdamW β₁").mustMatchOnResume());
  public static final Key<Double> ADAM_BETA2 =
      REGISTRY.add(
          Key.range("adamBeta2", 0.999, 0, false, 1, true, "AdamW β₂").mustMatchOnResume());
  public static final Key<Double> ADAM_EPS =
      REGISTRY.add(Key.positive("adamEps", 1e-8, "AdamW ε").mustMatchOnResume());
  public static final Key<Double> MAX_GRAD_NORM =
      REGISTRY.add(
          Key.nonNegative("maxGradNorm", 1.0, "global-norm clipping threshold (0 = off)")
              .mustMatchOnResume());
  public static final Key<Integer> MAX_CONSECUTIVE_SKIPS =
      REGISTRY.add(
          Key.integer(
              "maxConsecutiveSkips", 5, 1, "stop after this many non-finite steps in a row"));
  public static final Key<Long> SEED =
      REGISTRY.add(Key.anyLong("seed", 42L, "data order seed").mustMatchOnResume());
  public static final Key<Integer> CHECKPOINT_EVERY =
      REGISTRY.add(
          Key.integer("checkpointEvery", 0, 0, "steps between checkpoints (0 = only at the end)"));
  public static final Key<Integer> KEEP_CHECKPOINTS =
      REGISTRY.add(Key.integer("keepCheckpoints", 3, 1, "checkpoints kept, newest first"));

  /** Every option, in declaration order. */
  public static final List<Key<?>> KEYS = REGISTRY.all();

  private final Map<String, Object> values;

  private TrainConfig(Map<String, Object> values) {
    this.values = values;
  }

  /** All defaults. */
  public static TrainConfig defaults() {
    return of(Map.of());
  }

  /** The defaults overridden by {@code overrides} (by key name); strings are parsed. */
  public static TrainConfig of(Map<String, ?> overrides) {
    Map<String, Object> v = new LinkedHashMap<>();
    for (Key<?> k : KEYS) {
      v.put(k.name(), k.defaultValue());
    }
    for (Map.Entry<String, ?> e : overrides.entrySet()) {
      Key<?> k = key(e.getKey());
      v.put(k.name(), k.parse(e.getValue()));
    }
    TrainConfig c = new TrainConfig(v);
    c.loss(); // cross-checks through LossConfig's own validation
    return c;
  }

  /** This configuration with one option changed. */
  public <T> TrainConfig with(Key<T> key, T value) {
    Map<String, Object> v = new LinkedHashMap<>(values);
    v.put(key.name(), value);
    return of(v);
  }

  /** The value of {@code key}. */
  public <T> T get(Key<T> key) {
    return key.type().cast(values.get(key(key.name()).name()));
  }

  /** Reads the JSON object written by {@link #toJson()}. */
  public static TrainConfig fromJson(JsonNode node) {
    Map<String, Object> v = new LinkedHashMap<>();
    node.fields()
        .forEachRemaining(
            f ->
                v.put(
                    f.getKey(),
                    f.getValue().isTextual()
                        ? f.getValue().asText()
                        : f.getValue().isIntegralNumber()
                            ? (Object) f.getValue().asLong()
                            : f.getValue().asDouble()));
    return of(v);
  }

  /** Every option and its effective value, in declaration order. */
  public ObjectNode toJson() {
    return JSON.valueToTree(values);
  }

  /** SHA-256 (first 16 hex digits) of the options that change the trajectory. */
  public String hash() {
    Map<String, Object> relevant = new LinkedHashMap<>();
    KEYS.stream()
        .filter(Key::resumeRelevant)
        .forEach(k -> relevant.put(k.name(), values.get(k.name())));
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(JSON.writeValueAsString(relevant).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 16);
    } catch (NoSuchAlgorithmException | JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The trajectory-changing options whose values differ, as {@code key: this → other}. */
  public List<String> differences(TrainConfig other) {
    List<String> out = new ArrayList<>();
    for (Key<?> k : KEYS) {
      Object a = values.get(k.name());
      Object b = other.values.get(k.name());
      if (k.resumeRelevant() && !a.equals(b)) {
        out.add(k.name() + ": " + a + " → " + b);
      }
    }
    return out;
  }

  /** The objective's hyperparameters. */
  public LossConfig loss() {
    return LossConfig.of(get(LOSS), get(BETA), get(ALPHA), get(K));
  }

  /** The learning-rate schedule. */
  public LrSchedule schedule() {
    return new LrSchedule(
        LrSchedule.Kind.valueOf(get(SCHEDULE).toUpperCase(Locale.ROOT)),
        get(LEARNING_RATE),
        get(WARMUP_STEPS),
        get(MAX_STEPS));
  }

  private static Key<?> key(String name) {
    return REGISTRY
        .find(name)
        .orElseThrow(
            () ->
                new IllegalArgumentException(
                    "unknown training option '"
                        + name
                        + "' (did you mean '"
                        + Spelling.nearest(name, KEYS.stream().map(Key::name).toList(), false)
                        + "'?)"));
  }

  private static boolean compiles(String regex) {
    try {
      Pattern.compile(regex);
      return true;
    } catch (PatternSyntaxException e) {
      return false;
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TrainConfig t && t.values.equals(values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }
}
