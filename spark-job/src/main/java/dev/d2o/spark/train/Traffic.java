package dev.d2o.spark.train;

import dev.d2o.train.StepResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What each step moved through the driver, added to its metrics: {@code traffic/gradient_bytes}
 * (the gradient payload of the results the tasks returned: 4 bytes per trainable weight per result,
 * without Spark's serialization framing) and {@code traffic/broadcast_bytes} (computed: the
 * trainable weights' F32 bytes times the replicas that read the step's broadcast, 0 when the
 * weights did not change); and the largest executor peak resident set the tasks reported.
 */
final class Traffic {
  private final long weightBytes;
  private long steps;
  private double bytes;
  private long peakRss = -1;

  Traffic(long trainableFloats) {
    this.weightBytes = 4 * trainableFloats;
  }

  /** {@code r} with the traffic of {@code out} in its metrics. */
  StepResult record(StepResult r, GradientStep.Outcome out) {
    Map<String, Double> m = new LinkedHashMap<>(r.metrics());
    double broadcast = (double) weightBytes * out.replicasSynced();
    m.put("traffic/gradient_bytes", (double) out.gradientBytes());
    m.put("traffic/broadcast_bytes", broadcast);
    m.put("traffic/executors", (double) out.executors());
    steps++;
    bytes += out.gradientBytes() + broadcast;
    peakRss = Math.max(peakRss, out.peakRssBytes());
    return new StepResult(r.step(), r.skipped(), r.reason(), m);
  }

  /** Mean bytes per step of gradients and broadcasts. */
  double meanBytesPerStep() {
    return steps == 0 ? 0 : bytes / steps;
  }

  /** The largest peak resident set an executor reported, -1 when none did. */
  long peakRssBytes() {
    return peakRss;
  }
}
