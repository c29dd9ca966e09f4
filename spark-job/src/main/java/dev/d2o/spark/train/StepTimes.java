package dev.d2o.spark.train;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.util.DoubleAccumulator;

/**
 * Where a training step's time went, as {@code timing/*} metrics. The driver's phases are wall
 * seconds measured around them ({@code sync}, {@code refresh}, {@code probe}, {@code aggregate});
 * sampling and reference scoring run in executor tasks, which add the seconds they spent (inside
 * the replica's lock, so a task waiting for another is not counted) to Spark accumulators: {@code
 * generate} and {@code ref_logp} are executor seconds summed over tasks, like {@code
 * timing/forward_backward}. A retried task's seconds count too: they were spent.
 */
final class StepTimes {
  private final DoubleAccumulator generate;
  private final DoubleAccumulator refLogp;
  private final Map<String, Double> phases = new LinkedHashMap<>();

  StepTimes(SparkContext sc) {
    this.generate = sc.doubleAccumulator("d2o generate seconds");
    this.refLogp = sc.doubleAccumulator("d2o ref_logp seconds");
  }

  /** Starts a step: forgets the previous step's seconds. */
  void start() {
    phases.clear();
    generate.reset();
    refLogp.reset();
  }

  /** Records {@code seconds} of wall time of the driver phase {@code name} in this step. */
  void put(String name, double seconds) {
    phases.put("timing/" + name, seconds);
  }

  /** Records already named {@code timing/*} metrics of this step. */
  void putAll(Map<String, Double> timings) {
    phases.putAll(timings);
  }

  /** Seconds since {@code t0} (a {@link System#nanoTime} reading). */
  static double since(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Executor tasks add the seconds they spent sampling here. */
  DoubleAccumulator generate() {
    return generate;
  }

  /** Executor tasks add the seconds they spent scoring under the reference here. */
  DoubleAccumulator refLogp() {
    return refLogp;
  }

  /**
   * This step's timings: the driver phases that ran, and the executor seconds of sampling and
   * reference scoring when the step did any.
   */
  Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>(phases);
    if (generate.count() > 0) {
      m.put("timing/generate", generate.sum());
    }
    if (refLogp.count() > 0) {
      m.put("timing/ref_logp", refLogp.sum());
    }
    return m;
  }
}
