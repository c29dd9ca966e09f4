package dev.d2o.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * The training options, each declared once in {@link #OPTIONS} with its key, default, what is
 * allowed, whether it changes the trajectory (and so must match on resume) and a line of
 * documentation. Values are validated when the configuration is built; an unknown key is an error
 * that suggests the nearest known key.
 */
public final class TrainConfig {
  public static final String KEY_CHUNK = "chunkSize";
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One option: key, default, allowed values, whether resuming requires the same value,
   * documentation.
   */
  public record Option(
      String key,
      Object defaultValue,
      String allowed,
      Predicate<Object> valid,
      boolean resumeRelevant,
      String doc) {}

  private static final Predicate<Object> POSITIVE = v -> ((Number) v).doubleValue() > 0;
  private static final Predicate<Object> NON_NEGATIVE = v -> ((Number) v).doubleValue() >= 0;
  private static final Predicate<Object> UNIT =
      v -> ((Number) v).doubleValue() >= 0 && ((Number) v).doubleValue() < 1;

  /** Every option, in the order they are written. */
  public static final List<Option> OPTIONS =
      List.of(
          new Option(
              LossConfig.KEY_TYPE,
              "d2o",
              "one of " + LossType.keys(),
              v -> LossType.keys().contains(v),
              true,
              "the objective (ARCHITECTURE.md §2)"),
          new Option(
              LossConfig.KEY_BETA,
              LossConfig.BETA_DEFAULT,
              "> 0",
              POSITIVE,
              true,
              "β, scale of the anchors"),
          new Option(
              LossConfig.KEY_ALPHA,
              LossConfig.ALPHA_DEFAULT,
              "≥ 0",
              NON_NEGATIVE,
              true,
              "α, scale of the negative"),
          new Option(
              LossConfig.KEY_K,
              LossConfig.K_DEFAULT,
              "≥ 1",
              POSITIVE,
              true,
              "K, anchors per prompt"),
          new Option(
              "learningRate",
              1e-6,
              "> 0",
              POSITIVE,
              true,
              "peak learning rate (TRL's DPO default)"),
          new Option(
              "schedule",
              "linear",
              "one of [cosine, linear, constant]",
              v -> List.of("cosine", "linear", "constant").contains(v),
              true,
              "shape after warmup, decaying to 0"),
          new Option("warmupSteps", 0, "≥ 0", NON_NEGATIVE, true, "linear warmup steps"),
          new Option(
              "maxSteps",
              1000,
              "≥ 1",
              POSITIVE,
              true,
              "total optimizer steps (the schedule's length)"),
          new Option(
              "batchSize",
              8,
              "≥ 1",
              POSITIVE,
              true,
              "examples per optimizer step (the global batch)"),
          new Option(
              "microBatches",
              1,
              "≥ 1",
              POSITIVE,
              false,
              "gradient accumulation: pieces of a global batch"),
          new Option(
              KEY_CHUNK,
              4,
              "≥ 1",
              POSITIVE,
              false,
              "examples per forward/backward pass (memory only)"),
          new Option(
              "weightDecay", 0.0, "≥ 0", NON_NEGATIVE, true, "AdamW decoupled weight decay λ"),
          new Option(
              "noDecay",
              AdamW.NO_DECAY_DEFAULT,
              "a regular expression",
              v -> compiles((String) v),
              true,
              "parameters matching this are not decayed"),
          new Option("adamBeta1", 0.9, "in [0, 1)", UNIT, true, "AdamW β₁"),
          new Option("adamBeta2", 0.999, "in [0, 1)", UNIT, true, "AdamW β₂"),
          new Option("adamEps", 1e-8, "> 0", POSITIVE, true, "AdamW ε"),
          new Option(
              "maxGradNorm",
              1.0,
              "≥ 0 (0: off)",
              NON_NEGATIVE,
              true,
              "global-norm clipping threshold"),
          new Option(
              "maxConsecutiveSkips",
              5,
              "≥ 1",
              POSITIVE,
              false,
              "stop after this many non-finite steps in a row"),
          new Option("seed", 42L, "any integer", v -> true, true, "data order seed"),
          new Option(
              "checkpointEvery",
              0,
              "≥ 0 (0: only at the end)",
              NON_NEGATIVE,
              false,
              "steps between checkpoints"),
          new Option(
              "keepCheckpoints", 3, "≥ 1", POSITIVE, false, "checkpoints kept, newest first"));

  private final Map<String, Object> values;

  private TrainConfig(Map<String, Object> values) {
    this.values = values;
  }

  /** All defaults. */
  public static TrainConfig defaults() {
    return of(Map.of());
  }

  /** The defaults overridden by {@code overrides}; strings are parsed to the option's type. */
  public static TrainConfig of(Map<String, ?> overrides) {
    Map<String, Object> v = new LinkedHashMap<>();
    for (Option o : OPTIONS) {
      v.put(o.key(), o.defaultValue());
    }
    for (Map.Entry<String, ?> e : overrides.entrySet()) {
      Option o = option(e.getKey());
      Object value = coerce(o, e.getValue());
      if (!o.valid().test(value)) {
        throw new IllegalArgumentException(
            o.key() + " must be " + o.allowed() + ", got " + e.getValue());
      }
      v.put(o.key(), value);
    }
    TrainConfig c = new TrainConfig(v);
    c.loss(); // cross-checks through LossConfig's own validation
    return c;
  }

  /** This configuration with one option changed. */
  public TrainConfig with(String key, Object value) {
    Map<String, Object> v = new LinkedHashMap<>(values);
    v.put(key, value);
    return of(v);
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
    OPTIONS.stream()
        .filter(Option::resumeRelevant)
        .forEach(o -> relevant.put(o.key(), values.get(o.key())));
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256")
              .digest(JSON.writeValueAsString(relevant).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).substring(0, 16);
    } catch (NoSuchAlgorithmException | com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The trajectory-changing options whose values differ, as {@code key: this → other}. */
  public List<String> differences(TrainConfig other) {
    List<String> out = new ArrayList<>();
    for (Option o : OPTIONS) {
      Object a = values.get(o.key());
      Object b = other.values.get(o.key());
      if (o.resumeRelevant() && !a.equals(b)) {
        out.add(o.key() + ": " + a + " → " + b);
      }
    }
    return out;
  }

  public LossConfig loss() {
    return LossConfig.of(
        string(LossConfig.KEY_TYPE),
        dbl(LossConfig.KEY_BETA),
        dbl(LossConfig.KEY_ALPHA),
        integer(LossConfig.KEY_K));
  }

  public LrSchedule schedule() {
    return new LrSchedule(
        LrSchedule.Kind.valueOf(string("schedule").toUpperCase(java.util.Locale.ROOT)),
        dbl("learningRate"),
        integer("warmupSteps"),
        integer("maxSteps"));
  }

  /** A value by key, for options without an accessor. */
  public Object get(String key) {
    return values.get(option(key).key());
  }

  public double dbl(String key) {
    return ((Number) get(key)).doubleValue();
  }

  public int integer(String key) {
    return ((Number) get(key)).intValue();
  }

  public String string(String key) {
    return (String) get(key);
  }

  private static Option option(String key) {
    for (Option o : OPTIONS) {
      if (o.key().equals(key)) {
        return o;
      }
    }
    String nearest =
        OPTIONS.stream()
            .map(Option::key)
            .min(Comparator.comparingInt(k -> LossType.editDistance(k, key)))
            .orElseThrow();
    throw new IllegalArgumentException(
        "unknown training option '" + key + "' (did you mean '" + nearest + "'?)");
  }

  private static Object coerce(Option o, Object raw) {
    Object def = o.defaultValue();
    try {
      if (def instanceof String) {
        return String.valueOf(raw);
      }
      double d =
          raw instanceof Number n
              ? n.doubleValue()
              : Double.parseDouble(String.valueOf(raw).trim());
      if (def instanceof Double) {
        return d;
      }
      if (d != Math.rint(d) || Double.isInfinite(d)) {
        throw new NumberFormatException();
      }
      return def instanceof Long ? (Object) (long) d : (Object) Math.toIntExact((long) d);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(
          o.key()
              + " must be "
              + (def instanceof Double ? "a number" : "an integer")
              + " "
              + o.allowed()
              + ", got '"
              + raw
              + "'");
    }
  }

  private static boolean compiles(String regex) {
    try {
      java.util.regex.Pattern.compile(regex);
      return true;
    } catch (java.util.regex.PatternSyntaxException e) {
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
