package dev.d2o.spark.config;

import java.io.Serializable;
import java.util.List;
import java.util.function.Predicate;

/**
 * One configuration option: name, type, default, doc and validator side by side (Iceberg's {@code
 * *_DEFAULT} constants, MLlib's {@code Param}).
 *
 * @param name dotted key, e.g. {@code train.beta}
 * @param type value type: String, Integer, Long, Double or Boolean
 * @param defaultValue the default
 * @param doc one line for the README table and {@code --help}
 * @param allowed what the validator accepts, in words (used in error messages)
 * @param valid the validator
 * @param trainingRelevant whether a change makes an existing checkpoint incompatible
 * @param <T> value type
 */
public record Key<T>(
    String name,
    Class<T> type,
    T defaultValue,
    String doc,
    String allowed,
    Check<T> valid,
    boolean trainingRelevant)
    implements Serializable {

  /** A serializable predicate. */
  @FunctionalInterface
  public interface Check<T> extends Predicate<T>, Serializable {}

  static Key<Integer> integer(String name, int def, int min, String doc, boolean relevant) {
    return new Key<>(name, Integer.class, def, doc, "an integer ≥ " + min, v -> v >= min, relevant);
  }

  static Key<Double> positive(String name, double def, String doc, boolean relevant) {
    return new Key<>(
        name, Double.class, def, doc, "a number > 0", v -> v > 0 && Double.isFinite(v), relevant);
  }

  static Key<Double> nonNegative(String name, double def, String doc, boolean relevant) {
    return new Key<>(
        name, Double.class, def, doc, "a number ≥ 0", v -> v >= 0 && Double.isFinite(v), relevant);
  }

  static Key<Double> range(
      String name, double def, double lo, double hi, boolean loOpen, String doc, boolean relevant) {
    String allowed = "a number in " + (loOpen ? "(" : "[") + lo + ", " + hi + "]";
    return new Key<>(
        name,
        Double.class,
        def,
        doc,
        allowed,
        v -> (loOpen ? v > lo : v >= lo) && v <= hi,
        relevant);
  }

  static Key<String> text(String name, String def, String doc, boolean relevant) {
    return new Key<>(name, String.class, def, doc, "a string", v -> true, relevant);
  }

  static Key<String> oneOf(
      String name, String def, List<String> values, String doc, boolean relevant) {
    return new Key<>(
        name,
        String.class,
        def,
        doc,
        "one of " + String.join(", ", values),
        values::contains,
        relevant);
  }

  static Key<Boolean> flag(String name, boolean def, String doc, boolean relevant) {
    return new Key<>(name, Boolean.class, def, doc, "true or false", v -> true, relevant);
  }
}
