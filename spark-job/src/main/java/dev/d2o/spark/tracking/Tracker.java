package dev.d2o.spark.tracking;

import java.util.Map;
import java.util.Optional;

/**
 * What the train stage reports to an experiment tracker. Obtain one with {@link
 * Trackers#open(TrackingSettings, String)}: without a tracking URI it is {@link #noop()}, so
 * callers never branch on whether tracking is on.
 *
 * <p>Where the stages call it (once the configuration has {@code tracking.*} keys):
 *
 * <ul>
 *   <li>train start: {@code Trackers.open(settings, storedRunId)}, where {@code storedRunId} is the
 *       run id kept in the run directory (null for a fresh run; {@code --resume} passes the stored
 *       one so the same MLflow run continues); store {@link #runId()} in the run directory; then
 *       {@link #logParams} with the effective configuration (flattened {@code key -> value});
 *   <li>each step, where {@code metrics.jsonl} gets its line: {@link #logMetrics}{@code (step,
 *       metrics)};
 *   <li>after evaluate: {@link #logMetrics} with the report's numbers (step = last step) and {@link
 *       #logArtifactPath}{@code ("eval_report", path)};
 *   <li>after the final model is written: {@link #logArtifactPath}{@code ("final_model", path)};
 *   <li>at the end: {@link #finish}{@code (FINISHED)}, or {@code FAILED} from the stage's failure
 *       path (a crash that kills the driver leaves the run RUNNING; a resume continues it).
 * </ul>
 */
public interface Tracker {
  /** The tracked run's id (to store for a resume); empty when nothing is tracked. */
  Optional<String> runId();

  /** Logs parameters; values longer than the server accepts are truncated (with a warning). */
  void logParams(Map<String, String> params);

  /** Logs the metrics of one training step, timestamped now. */
  void logMetrics(long step, Map<String, Double> metrics);

  /** Sets a run tag (overwrites a tag of the same key). */
  void setTag(String key, String value);

  /** Records where an output lives (a model directory, a report), as the tag {@code d2o.<name>}. */
  void logArtifactPath(String name, String path);

  /** Marks the run ended with {@code status}. */
  void finish(RunStatus status);

  /** A tracker that records nothing. */
  static Tracker noop() {
    return NoopTracker.INSTANCE;
  }
}
