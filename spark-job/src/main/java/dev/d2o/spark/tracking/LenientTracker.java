package dev.d2o.spark.tracking;

import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tracker whose failures after the run started are warnings: a tracking server that goes away for
 * a while must not end a training run (metrics.jsonl keeps every step either way).
 */
final class LenientTracker implements Tracker {
  private static final Logger LOG = LoggerFactory.getLogger(LenientTracker.class);

  private final Tracker inner;

  LenientTracker(Tracker inner) {
    this.inner = inner;
  }

  @Override
  public Optional<String> runId() {
    return inner.runId();
  }

  @Override
  public void logParams(Map<String, String> params) {
    guard("log parameters", () -> inner.logParams(params));
  }

  @Override
  public void logMetrics(long step, Map<String, Double> metrics) {
    guard("log the metrics of step " + step, () -> inner.logMetrics(step, metrics));
  }

  @Override
  public void setTag(String key, String value) {
    guard("set the tag " + key, () -> inner.setTag(key, value));
  }

  @Override
  public void logArtifactPath(String name, String path) {
    guard("record the path of " + name, () -> inner.logArtifactPath(name, path));
  }

  @Override
  public void finish(RunStatus status) {
    guard("mark the run " + status, () -> inner.finish(status));
  }

  private static void guard(String what, Runnable call) {
    try {
      call.run();
    } catch (TrackingException e) {
      LOG.warn("experiment tracking could not {} (training goes on): {}", what, e.getMessage());
    }
  }
}
