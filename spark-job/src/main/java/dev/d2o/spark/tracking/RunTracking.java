package dev.d2o.spark.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.RunDir;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The experiment tracking of one run ({@code tracking.mlflow.*}): opened when training starts, with
 * the effective configuration as the run's parameters; the MLflow run id is kept in the run
 * directory ({@value #FILE}), so that {@code --resume} continues the same MLflow run. A bearer
 * token comes from the environment ({@value #TOKEN_ENV}), never from a configuration key, so it is
 * in no saved or logged configuration. Without {@code tracking.mlflow.uri} nothing is tracked.
 *
 * <p>Failing to start or resume the MLflow run stops the job before training (a wrong URI or token
 * should not cost a training run's time unnoticed); a failure later (a metric, a tag, the final
 * status) is logged as a warning and training goes on ({@link LenientTracker}).
 */
public final class RunTracking {
  private static final Logger LOG = LoggerFactory.getLogger(RunTracking.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the run directory keeps the MLflow run id. */
  public static final String FILE = "tracking/mlflow-run.json";

  /** The environment variable of the bearer token (MLflow's own name for it). */
  public static final String TOKEN_ENV = "MLFLOW_TRACKING_TOKEN";

  private RunTracking() {}

  /** The tracker of {@code run}: continues the stored MLflow run when {@code resume}. */
  public static Tracker open(JobConfig cfg, RunDir run, boolean resume) {
    return open(cfg, run, resume, System::getenv);
  }

  /** As {@link #open(JobConfig, RunDir, boolean)}, reading the environment through {@code env}. */
  static Tracker open(JobConfig cfg, RunDir run, boolean resume, UnaryOperator<String> env) {
    TrackingSettings settings = settings(cfg, run, env);
    if (!settings.enabled()) {
      return Tracker.noop();
    }
    String stored = resume ? storedRunId(run) : null;
    Tracker tracker = Trackers.open(settings, stored);
    String id = tracker.runId().orElseThrow();
    if (stored == null) {
      Map<String, Object> record = new LinkedHashMap<>();
      record.put("run_id", id);
      record.put("tracking_uri", settings.uri());
      record.put("experiment", settings.experiment());
      try {
        run.write(FILE, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(record));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      tracker.logParams(params(cfg));
      tracker.logArtifactPath("run_dir", run.root().toString());
    }
    LOG.info("tracking to MLflow run {} at {}", id, settings.uri());
    return new LenientTracker(tracker);
  }

  /** The settings of {@code cfg}; the run name defaults to the run directory's name. */
  static TrackingSettings settings(JobConfig cfg, RunDir run, UnaryOperator<String> env) {
    String name = cfg.get(Keys.TRACKING_MLFLOW_RUN_NAME);
    String token = env.apply(TOKEN_ENV);
    return new TrackingSettings(
        cfg.get(Keys.TRACKING_MLFLOW_URI),
        cfg.get(Keys.TRACKING_MLFLOW_EXPERIMENT),
        name.isEmpty() ? run.root().getName() : name,
        token == null || token.isEmpty() ? null : token);
  }

  /** The effective configuration as MLflow parameters (every key, as saved in config.conf). */
  static Map<String, String> params(JobConfig cfg) {
    Map<String, String> out = new LinkedHashMap<>();
    cfg.asMap().forEach((k, v) -> out.put(k, String.valueOf(v)));
    return out;
  }

  private static String storedRunId(RunDir run) {
    if (!run.exists(FILE)) {
      return null; // the run was started without tracking: a new MLflow run
    }
    try {
      JsonNode n = JSON.readTree(HadoopFiles.readString(run.path(FILE), run.conf()));
      return n.path("run_id").asText(null);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + run.path(FILE), e);
    }
  }
}
