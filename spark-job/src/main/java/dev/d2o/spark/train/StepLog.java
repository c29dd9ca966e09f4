package dev.d2o.spark.train;

import dev.d2o.spark.io.Console;
import dev.d2o.spark.tracking.Tracker;
import dev.d2o.train.StepResult;
import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The record of each step: its metrics with the stage's timings (and the harmful-rate probe when it
 * ran), and TRL's names of them ({@link TrlMetrics}), appended to {@code metrics.jsonl} and logged
 * to the experiment tracker, and a progress line with an estimate of the time left.
 */
final class StepLog {
  private final Metrics metrics;
  private final RowKind<? extends Serializable> kind;
  private final int maxSteps;
  private final long firstStep;
  private final Tracker tracker;
  private final double epochsPerStep;
  private final long start = System.nanoTime();

  /**
   * A log of steps {@code firstStep} to {@code maxSteps}, for rows of {@code kind}, also sent to
   * {@code tracker}; each step consumes {@code epochsPerStep} of the training rows.
   */
  StepLog(
      Metrics metrics,
      RowKind<? extends Serializable> kind,
      int maxSteps,
      long firstStep,
      Tracker tracker,
      double epochsPerStep) {
    this.metrics = metrics;
    this.kind = kind;
    this.maxSteps = maxSteps;
    this.firstStep = firstStep;
    this.tracker = tracker;
    this.epochsPerStep = epochsPerStep;
  }

  /**
   * Records step {@code r} with the stage's {@code timings} of it ({@link StepTimes#metrics});
   * {@code harmfulRate} is NaN when the step was not probed.
   */
  StepResult record(StepResult r, Map<String, Double> timings, double harmfulRate) {
    Map<String, Double> m = new LinkedHashMap<>(kind.logged(r.metrics()));
    m.putAll(timings);
    if (!Double.isNaN(harmfulRate)) {
      m.put("eval/harmful_rate", harmfulRate);
    }
    TrlMetrics.add(m, r.step(), epochsPerStep);
    StepResult logged = new StepResult(r.step(), r.skipped(), r.reason(), m);
    metrics.append(logged);
    tracker.logMetrics(r.step(), m);
    Console.line(progress(logged));
    return logged;
  }

  private String progress(StepResult r) {
    long done = r.step() + 1 - firstStep;
    double elapsed = (System.nanoTime() - start) / 1e9;
    double eta = elapsed / done * (maxSteps - r.step() - 1);
    return String.format(
        Locale.ROOT,
        "step %d/%d  loss %.4f%s  grad_norm %.3f  %.0f tok/s  eta %s%s",
        r.step() + 1,
        maxSteps,
        r.metric("loss"),
        kind.progress(r),
        r.metric("grad_norm"),
        r.metric("tokens_per_s"),
        duration(eta),
        r.skipped() ? "  SKIPPED: " + r.reason() : "");
  }

  private static String duration(double s) {
    long sec = Math.round(s);
    return sec >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", sec / 3600, sec % 3600 / 60)
        : String.format(Locale.ROOT, "%dm%02ds", sec / 60, sec % 60);
  }
}
