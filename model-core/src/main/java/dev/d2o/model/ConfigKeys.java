package dev.d2o.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads of a {@code config.json} for the families' parsers. Every error names the file, the
 * key, the value and what is allowed; a value of the wrong type is an error, never the default.
 */
final class ConfigKeys {
  private final ObjectNode n;
  private final String source;

  ConfigKeys(ObjectNode n, String source) {
    this.n = n;
    this.source = source;
  }

  /** The parsed JSON (kept in the config so that saving writes back every key). */
  ObjectNode json() {
    return n;
  }

  /** Where the JSON came from, for messages. */
  String source() {
    return source;
  }

  /** Whether {@code key} is present with a non-null value. */
  boolean has(String key) {
    return n.hasNonNull(key);
  }

  /** A required positive integer. */
  int positive(String key) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      throw new ModelException("missing key '" + key + "' in " + source);
    }
    if (!v.isIntegralNumber() || v.asLong() <= 0 || v.asLong() > Integer.MAX_VALUE) {
      throw new ModelException(
          "key '" + key + "' in " + source + " is " + v + "; expected a positive integer");
    }
    return v.asInt();
  }

  /** An optional positive integer ({@code def} when absent or null). */
  int positive(String key, int def) {
    return has(key) ? positive(key) : def;
  }

  /** An optional integer ≥ 0 ({@code def} when absent or null). */
  int nonNegative(String key, int def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return def;
    }
    if (!v.isIntegralNumber() || v.asLong() < 0 || v.asLong() > Integer.MAX_VALUE) {
      throw new ModelException(
          "key '" + key + "' in " + source + " is " + v + "; expected an integer ≥ 0");
    }
    return v.asInt();
  }

  /** An optional positive finite number; a value of another type is an error, not the default. */
  double positiveNumber(String key, double def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return def;
    }
    if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
      throw new ModelException(
          "key '" + key + "' in " + source + " is " + v + "; expected a positive number");
    }
    return v.asDouble();
  }

  /**
   * A positive number that an explicit {@code null} switches off (returned as 0), as Hugging Face
   * reads the soft-capping keys: {@code def} when the key is absent.
   */
  double positiveNumberOrOff(String key, double def) {
    JsonNode v = n.get(key);
    if (v == null) {
      return def;
    }
    return v.isNull() ? 0 : positiveNumber(key, def);
  }

  /** An optional boolean; a value of another type is an error, not the default. */
  boolean flag(String key, boolean def) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return def;
    }
    if (!v.isBoolean()) {
      throw new ModelException(
          "key '" + key + "' in " + source + " is " + v + "; expected true or false");
    }
    return v.asBoolean();
  }

  /** An optional string that must be one of {@code allowed}. */
  String choice(String key, String def, List<String> allowed) {
    JsonNode v = n.get(key);
    String s = v == null || v.isNull() ? def : v.asText(v.toString());
    if (!allowed.contains(s)) {
      throw new ModelException(
          key
              + " '"
              + s
              + "' in "
              + source
              + " is not supported; supported: "
              + String.join(", ", allowed));
    }
    return s;
  }

  /** Fails naming {@code aKey} and {@code bKey} when {@code a} is not a multiple of {@code b}. */
  void divides(String aKey, int a, String bKey, int b) {
    if (a % b != 0) {
      throw new ModelException(
          aKey + "=" + a + " in " + source + " is not divisible by " + bKey + "=" + b);
    }
  }

  /** Refuses a feature the project does not implement, naming the key and the file. */
  void refuse(boolean present, String what) {
    if (present) {
      throw new ModelException(what + " in " + source + " is not supported");
    }
  }

  /** An optional token id (the first one of a list), -1 when absent. */
  int optionalId(String key) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return -1;
    }
    if (v.isArray() && v.size() > 0) {
      v = v.get(0);
    }
    if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
      throw new ModelException(
          "key '" + key + "' in " + source + " is " + v + "; expected a token id");
    }
    return v.asInt();
  }

  /** Optional token ids (one or a list), empty when absent. */
  List<Integer> ids(String key) {
    JsonNode v = n.get(key);
    if (v == null || v.isNull()) {
      return List.of();
    }
    if (v.isArray()) {
      List<Integer> out = new ArrayList<>();
      for (JsonNode x : v) {
        if (!x.isIntegralNumber() || !x.canConvertToInt() || x.asInt() < 0) {
          throw new ModelException(
              "key '" + key + "' in " + source + " is " + v + "; expected token ids");
        }
        out.add(x.asInt());
      }
      return List.copyOf(out);
    }
    return List.of(optionalId(key));
  }

  /**
   * Per-layer attention windows from Hugging Face's {@code layer_types} when the file lists them
   * ({@code sliding_attention} layers get {@code window}, {@code full_attention} layers none), or
   * null when it does not.
   */
  List<Integer> layerTypes(int numLayers, int window) {
    JsonNode v = n.get("layer_types");
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isArray() || v.size() != numLayers) {
      throw new ModelException(
          "key 'layer_types' in "
              + source
              + " is "
              + v
              + "; expected a list of "
              + numLayers
              + " layer types");
    }
    List<Integer> out = new ArrayList<>();
    for (JsonNode t : v) {
      switch (t.asText("")) {
        case "sliding_attention" -> out.add(window);
        case "full_attention" -> out.add(0);
        default ->
            throw new ModelException(
                "layer type "
                    + t
                    + " in "
                    + source
                    + " is not supported; supported: sliding_attention, full_attention");
      }
    }
    return out;
  }
}
