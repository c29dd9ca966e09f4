package dev.d2o.config;

import java.io.Serializable;
import java.util.List;
import java.util.function.Predicate;

/**
 * One configuration option, declared once with everything about it side by side: the name, the
 * value type, the default, what is allowed (in words for messages and docs, and as a validator),
 * whether a run can only be resumed with the same value, and a line of documentation (MLlib's
 * {@code Param}, Iceberg's {@code *_DEFAULT} constants). The training options ({@code
 * dev.d2o.train.TrainConfig}) and the Spark job's keys are both made of these.
 *
 * @param name the key, e.g. {@code learningRate} or {@code run.seed}
 * @param type value type: String, Integer, Long, Double or Boolean
 * @param defaultValue the default
 * @param allowed what the validator accepts, in words ("an integer ≥ 1"), used in messages
 * @param valid the validator
 * @param resumeRelevant whether a run can only be resumed with the same value (it changes the
 *     trajectory)
 * @param doc one line for the README table and {@code bin/d2o keys}
 * @param <T> value type
 */
public record Key<T>(
    String name,
    Class<T> type,
    T defaultValue,
    String allowed,
    Check<T> valid,
    boolean resumeRelevant,
    String doc)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** A serializable predicate. */
  @FunctionalInterface
  public interface Check<T> extends Predicate<T>, Serializable {}

  /** A key of any type and validator. */
  public static <T> Key<T> of(
      String name, Class<T> type, T def, String allowed, Check<T> valid, String doc) {
    return new Key<>(name, type, def, allowed, valid, false, doc);
  }

  /** An integer of at least {@code min}. */
  public static Key<Integer> integer(String name, int def, int min, String doc) {
    return of(name, Integer.class, def, "an integer ≥ " + min, v -> v >= min, doc);
  }

  /** Any long integer. */
  public static Key<Long> anyLong(String name, long def, String doc) {
    return of(name, Long.class, def, "an integer", v -> true, doc);
  }

  /** A finite number greater than 0. */
  public static Key<Double> positive(String name, double def, String doc) {
    return of(name, Double.class, def, "a number > 0", v -> v > 0 && Double.isFinite(v), doc);
  }

  /** A finite number of at least 0. */
  public static Key<Double> nonNegative(String name, double def, String doc) {
    return of(name, Double.class, def, "a number ≥ 0", v -> v >= 0 && Double.isFinite(v), doc);
  }

  /** A number between {@code lo} and {@code hi}, each end open or closed. */
  public static Key<Double> range(
      String name, double def, double lo, boolean loOpen, double hi, boolean hiOpen, String doc) {
    String allowed = "a number in " + (loOpen ? "(" : "[") + lo + ", " + hi + (hiOpen ? ")" : "]");
    return of(
        name,
        Double.class,
        def,
        allowed,
        v -> (loOpen ? v > lo : v >= lo) && (hiOpen ? v < hi : v <= hi),
        doc);
  }

  /** Any string. */
  public static Key<String> text(String name, String def, String doc) {
    return of(name, String.class, def, "a string", v -> true, doc);
  }

  /** One of {@code values}. */
  public static Key<String> oneOf(String name, String def, List<String> values, String doc) {
    List<String> copy = List.copyOf(values);
    return of(name, String.class, def, "one of " + copy, copy::contains, doc);
  }

  /** True or false. */
  public static Key<Boolean> flag(String name, boolean def, String doc) {
    return of(name, Boolean.class, def, "true or false", v -> true, doc);
  }

  /** This key, marked as one that must keep its value for a run to be resumed. */
  public Key<T> mustMatchOnResume() {
    return new Key<>(name, type, defaultValue, allowed, valid, true, doc);
  }

  /** This key under {@code prefix} ({@code "train."} + {@code "beta"}). */
  public Key<T> under(String prefix) {
    return new Key<>(prefix + name, type, defaultValue, allowed, valid, resumeRelevant, doc);
  }

  /**
   * {@code raw} (a value of any number type, or a string to parse) as this key's type, validated;
   * otherwise an {@link IllegalArgumentException} that names the key, the value and what is
   * allowed.
   */
  public T parse(Object raw) {
    T value = convert(raw);
    if (!valid.test(value)) {
      throw new IllegalArgumentException(name + " must be " + allowed + ", got " + raw);
    }
    return value;
  }

  private T convert(Object raw) {
    if (type == String.class) {
      return type.cast(String.valueOf(raw));
    }
    if (type == Boolean.class) {
      String s = String.valueOf(raw).trim();
      if (raw instanceof Boolean || s.equals("true") || s.equals("false")) {
        return type.cast(Boolean.valueOf(s));
      }
      throw wrongType(raw);
    }
    try {
      double d =
          raw instanceof Number n
              ? n.doubleValue()
              : Double.parseDouble(String.valueOf(raw).trim());
      if (type == Double.class) {
        return type.cast(d);
      }
      if (d != Math.rint(d) || Double.isInfinite(d)) {
        throw wrongType(raw);
      }
      return type == Long.class ? type.cast((long) d) : type.cast(Math.toIntExact((long) d));
    } catch (NumberFormatException | ArithmeticException e) {
      throw wrongType(raw);
    }
  }

  private IllegalArgumentException wrongType(Object raw) {
    return new IllegalArgumentException(name + " must be " + allowed + ", got '" + raw + "'");
  }
}
