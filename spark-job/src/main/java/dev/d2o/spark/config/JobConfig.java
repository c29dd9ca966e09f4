package dev.d2o.spark.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException.Parse;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import dev.d2o.config.Key;
import dev.d2o.error.ConfigException;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelException;
import dev.d2o.train.TrainConfig;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The effective configuration: declared defaults, then a HOCON file, then {@code --set key=value}
 * overrides. Every value is type-checked and validated at load; an unknown key fails with the
 * nearest known key suggested. TRL's names of keys ({@link TrlNames}: {@code learning_rate}, {@code
 * beta}, ...) are accepted for the keys; a key set both ways in one file, or among the {@code
 * --set} options, is refused.
 */
public final class JobConfig implements Serializable {
  private static final long serialVersionUID = 1L;

  private final Map<String, Object> values;

  private JobConfig(Map<String, Object> values) {
    this.values = Collections.unmodifiableMap(values);
  }

  /** The defaults only. */
  public static JobConfig defaults() {
    return load(null, List.of());
  }

  /** Loads {@code file} (may be null) and applies {@code overrides} ("key=value"), in order. */
  public static JobConfig load(Path file, List<String> overrides) {
    Map<String, Object> values = new LinkedHashMap<>();
    Keys.ALL.forEach(k -> values.put(k.name(), k.defaultValue()));
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new ConfigException("configuration file not found: " + file);
      }
      Config c;
      try {
        c = ConfigFactory.parseFile(file.toFile()).resolve();
      } catch (com.typesafe.config.ConfigException e) {
        throw new ConfigException(
            "cannot parse configuration file " + file + ": " + e.getMessage());
      }
      apply(c, values, file.toString(), new LinkedHashMap<>());
    }
    Map<String, String> setBy = new LinkedHashMap<>(); // across all --set options
    for (String o : overrides) {
      int eq = o.indexOf('=');
      if (eq <= 0) {
        throw new ConfigException("--set expects key=value, got '" + o + "'");
      }
      String key = o.substring(0, eq).trim();
      String raw = o.substring(eq + 1).trim();
      Config c;
      try {
        c =
            ConfigFactory.parseString(
                "\"" + key.replace(".", "\".\"") + "\" = " + quoteIfBare(raw));
      } catch (Parse e) {
        throw new ConfigException("--set " + o + ": cannot parse the value: " + e.getMessage());
      }
      apply(c, values, "--set " + o, setBy);
    }
    JobConfig cfg = new JobConfig(values);
    cfg.checkCombinations();
    return cfg;
  }

  /**
   * Parses HOCON {@code text} (a saved effective configuration) on top of the defaults; {@code
   * source} names it in error messages.
   */
  public static JobConfig parse(String text, String source) {
    Map<String, Object> values = new LinkedHashMap<>();
    Keys.ALL.forEach(k -> values.put(k.name(), k.defaultValue()));
    Config c;
    try {
      c = ConfigFactory.parseString(text).resolve();
    } catch (com.typesafe.config.ConfigException e) {
      throw new ConfigException("cannot parse configuration " + source + ": " + e.getMessage());
    }
    apply(c, values, source, new LinkedHashMap<>());
    JobConfig cfg = new JobConfig(values);
    cfg.checkCombinations();
    return cfg;
  }

  /** Options that are valid alone but conflict together. */
  private void checkCombinations() {
    String preset = get(Keys.DATA_PRESET);
    for (Key<String> k : List.of(Keys.DATA_COLUMN_PROMPT, Keys.DATA_COLUMN_NEGATIVE)) {
      if (!preset.equals("none") && !get(k).equals(k.defaultValue())) {
        throw new ConfigException(
            k.name()
                + " = "
                + get(k)
                + " conflicts with data.preset = "
                + preset
                + ": a preset reads its data set's own columns (data.columns.prompt and"
                + " data.columns.negative apply to data.preset = none; data.columns.id to any)");
      }
    }
    int refresh = get(Keys.ANCHORS_REFRESH_EVERY);
    int update = get(Keys.REFERENCE_UPDATE_EVERY);
    if (refresh > 0 && update > 0 && refresh % update != 0) {
      throw new ConfigException(
          "anchors.refreshEvery = "
              + refresh
              + " conflicts with reference.updateEvery = "
              + update
              + ": refreshed anchors are scored under the reference of their step, so anchors.refreshEvery must"
              + " be a multiple of reference.updateEvery (or one of them 0)");
    }
  }

  /**
   * Bare words and paths would be read as HOCON paths or fail; quote anything that is not a
   * number/boolean.
   */
  private static String quoteIfBare(String raw) {
    if (raw.startsWith("\"") || raw.matches("-?[0-9.eE+-]+|true|false")) {
      return raw;
    }
    return "\"" + raw.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  /**
   * Applies {@code c}'s values; {@code setBy} maps each key set so far in this source (a file, or
   * all --set options) to the name it was set by, to refuse a key given both as itself and by its
   * TRL name.
   */
  private static void apply(
      Config c, Map<String, Object> values, String source, Map<String, String> setBy) {
    for (Map.Entry<String, ConfigValue> e : c.entrySet()) {
      String name = e.getKey();
      String target = TrlNames.keyOf(name);
      Key<?> key = Keys.find(target != null ? target : name);
      if (key != null) {
        String earlier = setBy.put(key.name(), name);
        if (earlier != null && !earlier.equals(name)) {
          String alias = target != null ? name : earlier;
          throw new ConfigException(
              key.name()
                  + " is set twice in "
                  + (source.startsWith("--set") ? "the --set options" : source)
                  + ": as "
                  + key.name()
                  + " and as "
                  + alias
                  + " (TRL's name for it); set it once");
        }
      }
      if (key == null) {
        throw new ConfigException(
            "unknown configuration key '"
                + name
                + "' in "
                + source
                + TrlNames.whyNot(name).map(why -> ": " + why).orElse("")
                + "; did you mean '"
                + Keys.nearest(name)
                + "'?");
      }
      values.put(key.name(), convert(key, e.getValue(), source));
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T convert(Key<T> key, ConfigValue v, String source) {
    Object raw = v.unwrapped();
    Object typed;
    if (key.type() == String.class) {
      typed =
          v.valueType() == ConfigValueType.STRING
                  || v.valueType() == ConfigValueType.NUMBER
                  || v.valueType() == ConfigValueType.BOOLEAN
              ? String.valueOf(raw)
              : null;
    } else if (key.type() == Integer.class) {
      typed =
          raw instanceof Number n
                  && n.doubleValue() == Math.rint(n.doubleValue())
                  && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE
              ? n.intValue()
              : null;
    } else if (key.type() == Double.class) {
      typed = raw instanceof Number n ? n.doubleValue() : null;
    } else {
      typed = raw instanceof Boolean b ? b : null;
    }
    if (typed == null) {
      throw new ConfigException(
          key.name()
              + " = "
              + v.render()
              + " (from "
              + source
              + ") has the wrong type; allowed: "
              + key.allowed());
    }
    T value = (T) typed;
    if (!key.valid().test(value)) {
      throw new ConfigException(
          key.name()
              + " = "
              + v.render()
              + " (from "
              + source
              + ") is out of range; allowed: "
              + key.allowed());
    }
    return value;
  }

  /** The value of {@code key}. */
  public <T> T get(Key<T> key) {
    return key.type().cast(values.get(key.name()));
  }

  /** A copy with {@code key} set to {@code value} (validated). */
  public <T> JobConfig with(Key<T> key, T value) {
    if (!key.valid().test(value)) {
      throw new ConfigException(
          key.name() + " = " + value + " is out of range; allowed: " + key.allowed());
    }
    Map<String, Object> copy = new LinkedHashMap<>(values);
    copy.put(key.name(), value);
    return new JobConfig(copy);
  }

  /**
   * The training options for model-core: every {@code train.*} value without its prefix, K from
   * {@code anchors.numSamples} and the data-order seed from {@code run.seed}.
   */
  public TrainConfig trainConfig() {
    Map<String, Object> options = new LinkedHashMap<>();
    for (Key<?> k : Keys.TRAIN) {
      options.put(k.name().substring(Keys.TRAIN_PREFIX.length()), values.get(k.name()));
    }
    options.put(TrainConfig.K.name(), get(Keys.ANCHORS_NUM));
    options.put(TrainConfig.SEED.name(), (long) get(Keys.RUN_SEED));
    return TrainConfig.of(options);
  }

  /**
   * The LoRA adapters to train ({@code lora.*}), or null for full fine-tuning ({@code lora.rank =
   * 0}).
   */
  public LoraConfig lora() {
    int rank = get(Keys.LORA_RANK);
    if (rank == 0) {
      return null;
    }
    try {
      return LoraConfig.of(
          rank, get(Keys.LORA_ALPHA), get(Keys.LORA_DROPOUT), get(Keys.LORA_TARGETS));
    } catch (ModelException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** All values, by key name, in declaration order. */
  public Map<String, Object> asMap() {
    return values;
  }

  /** The training-relevant keys whose values differ between this and {@code other}, sorted. */
  public List<String> trainingDifferences(Map<String, Object> other) {
    TreeMap<String, String> diffs = new TreeMap<>();
    for (Key<?> k : Keys.ALL) {
      if (k.resumeRelevant()
          && !String.valueOf(values.get(k.name())).equals(String.valueOf(other.get(k.name())))) {
        diffs.put(k.name(), other.get(k.name()) + " -> " + values.get(k.name()));
      }
    }
    return diffs.entrySet().stream().map(e -> e.getKey() + " (" + e.getValue() + ")").toList();
  }

  /** SHA-256 of the training-relevant values. */
  public String trainingHash() {
    StringBuilder sb = new StringBuilder();
    for (Key<?> k : Keys.ALL) {
      if (k.resumeRelevant()) {
        sb.append(k.name()).append('=').append(values.get(k.name())).append('\n');
      }
    }
    try {
      byte[] h =
          MessageDigest.getInstance("SHA-256")
              .digest(sb.toString().getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** HOCON text of every value (the effective configuration that is logged and saved). */
  public String render() {
    StringBuilder sb = new StringBuilder();
    for (Key<?> k : Keys.ALL) {
      Object v = values.get(k.name());
      sb.append(k.name())
          .append(" = ")
          .append(
              v instanceof String s
                  ? "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""
                  : v)
          .append('\n');
    }
    return sb.toString();
  }
}
