package dev.d2o.spark.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Axis ticks at "nice" numbers (1, 2 or 5 × 10ⁿ), as most plotting libraries choose them. */
final class Ticks {
  private Ticks() {}

  /** About {@code target} ticks inside [lo, hi], at multiples of a nice step. */
  static List<Double> of(double lo, double hi, int target) {
    double step = step(lo, hi, target);
    List<Double> out = new ArrayList<>();
    for (double t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) {
      out.add(Math.abs(t) < step * 1e-9 ? 0.0 : t); // no "-0.0"
    }
    return out;
  }

  /** The nice step for about {@code target} ticks over [lo, hi]. */
  static double step(double lo, double hi, int target) {
    double raw = (hi - lo) / Math.max(1, target);
    double mag = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / mag;
    return (f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10) * mag;
  }

  /** A tick label with as many decimals as the step over {@code span} needs. */
  static String format(double t, double span) {
    double step = step(0, span, 6);
    int decimals = (int) Math.max(0, -Math.floor(Math.log10(step)));
    return String.format(Locale.ROOT, "%." + Math.min(decimals, 6) + "f", t);
  }

  /**
   * [lo, hi] widened by {@code frac} of its span each side; a single value gets a span of its own.
   */
  static double[] padded(double lo, double hi, double frac) {
    if (hi - lo < 1e-12 * Math.max(1, Math.abs(hi))) {
      double d = Math.max(Math.abs(lo) * 0.1, 0.5);
      return new double[] {lo - d, hi + d};
    }
    double pad = (hi - lo) * frac;
    return new double[] {lo - pad, hi + pad};
  }
}
