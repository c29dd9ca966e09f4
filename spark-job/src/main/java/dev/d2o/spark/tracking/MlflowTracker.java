package dev.d2o.spark.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tracker that logs to one MLflow run through {@link MlflowClient}. Keys are checked against
 * MLflow's rules before anything is sent; parameter and tag values longer than MLflow accepts are
 * truncated with a warning (MLflow's own client does the same with {@code
 * MLFLOW_TRUNCATE_LONG_VALUES}).
 */
final class MlflowTracker implements Tracker {
  private static final Logger LOG = LoggerFactory.getLogger(MlflowTracker.class);

  /** MLflow's {@code _VALID_PARAM_AND_METRIC_NAMES}. */
  private static final Pattern KEY = Pattern.compile("^[/\\w.\\- ]*$");

  /** MLflow's {@code MAX_ENTITY_KEY_LENGTH}. */
  static final int MAX_KEY_LENGTH = 250;

  /** MLflow's {@code MAX_PARAM_VAL_LENGTH} (6000 since MLflow 2.x; servers before took 500). */
  static final int MAX_PARAM_VALUE_LENGTH = 6000;

  /** MLflow's {@code MAX_TAG_VAL_LENGTH}. */
  static final int MAX_TAG_VALUE_LENGTH = 5000;

  private final MlflowClient client;
  private final String runId;

  private MlflowTracker(MlflowClient client, String runId) {
    this.client = client;
    this.runId = runId;
  }

  /** Starts a run in {@code experiment} (created when missing). */
  static MlflowTracker start(MlflowClient client, String experiment, String runName) {
    if (experiment == null || experiment.isBlank()) {
      throw new TrackingException("an MLflow experiment name is required to start a run");
    }
    String experimentId =
        client.experimentIdByName(experiment).orElseGet(() -> client.createExperiment(experiment));
    List<MlflowClient.Entry> tags = new ArrayList<>();
    tags.add(new MlflowClient.Entry("mlflow.runName", runName));
    tags.add(new MlflowClient.Entry("mlflow.source.name", "d2o-spark"));
    tags.add(new MlflowClient.Entry("mlflow.user", System.getProperty("user.name", "")));
    String runId = client.createRun(experimentId, runName, client.now(), tags);
    LOG.info("MLflow run {} started in experiment '{}' ({})", runId, experiment, experimentId);
    return new MlflowTracker(client, runId);
  }

  /** Continues {@code runId}: it must exist; its status becomes RUNNING again. */
  static MlflowTracker resume(MlflowClient client, String runId) {
    JsonNode run;
    try {
      run = client.getRun(runId);
    } catch (MlflowClient.NotFound e) {
      throw new TrackingException("cannot resume MLflow run " + runId + ": " + e.getMessage(), e);
    }
    client.updateRun(runId, "RUNNING", null);
    LOG.info(
        "MLflow run {} resumed (it was {})", runId, run.path("info").path("status").asText("?"));
    return new MlflowTracker(client, runId);
  }

  @Override
  public Optional<String> runId() {
    return Optional.of(runId);
  }

  @Override
  public void logParams(Map<String, String> params) {
    List<MlflowClient.Entry> entries = new ArrayList<>(params.size());
    params.forEach(
        (k, v) ->
            entries.add(
                new MlflowClient.Entry(key(k), value("param", k, v, MAX_PARAM_VALUE_LENGTH))));
    client.logBatch(runId, List.of(), entries, List.of());
  }

  @Override
  public void logMetrics(long step, Map<String, Double> metrics) {
    long now = client.now();
    List<MlflowClient.Metric> points = new ArrayList<>(metrics.size());
    metrics.forEach((k, v) -> points.add(new MlflowClient.Metric(key(k), v, now, step)));
    client.logBatch(runId, points, List.of(), List.of());
  }

  @Override
  public void setTag(String key, String value) {
    client.setTag(runId, key(key), value("tag", key, value, MAX_TAG_VALUE_LENGTH));
  }

  @Override
  public void logArtifactPath(String name, String path) {
    setTag("d2o." + name, path);
  }

  @Override
  public void finish(RunStatus status) {
    client.updateRun(runId, status.name(), client.now());
  }

  private static String key(String k) {
    if (k == null || k.isEmpty() || k.length() > MAX_KEY_LENGTH || !KEY.matcher(k).matches()) {
      throw new TrackingException(
          "MLflow key '"
              + k
              + "' is not allowed: keys are 1 to "
              + MAX_KEY_LENGTH
              + " characters of letters, digits, '_', '-', '.', ' ' and '/'");
    }
    return k;
  }

  private static String value(String kind, String key, String v, int max) {
    String s = v == null ? "" : v;
    if (s.length() <= max) {
      return s;
    }
    LOG.warn("MLflow {} '{}' is {} characters; truncated to {}", kind, key, s.length(), max);
    return s.substring(0, max);
  }
}
