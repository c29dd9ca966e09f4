package dev.d2o.bench;

import java.util.Arrays;

/** Repeated timings of one measurement: min and median seconds, as the report prints them. */
public record Stats(double[] seconds) {
  /** Fastest repetition: the least disturbed by other load on the machine. */
  public double min() {
    return Arrays.stream(seconds).min().orElse(Double.NaN);
  }

  /** Median repetition. */
  public double median() {
    double[] s = seconds.clone();
    Arrays.sort(s);
    int n = s.length;
    return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  }

  /** Times {@code body} {@code warmup} times untimed, then {@code reps} times. */
  public static Stats time(int warmup, int reps, Runnable body) {
    for (int i = 0; i < warmup; i++) {
      body.run();
    }
    double[] s = new double[reps];
    for (int i = 0; i < reps; i++) {
      long t0 = System.nanoTime();
      body.run();
      s[i] = (System.nanoTime() - t0) / 1e9;
    }
    return new Stats(s);
  }
}
