package dev.d2o.spark.tracking;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The MLflow tracker's REST calls (paths, JSON bodies, batching, errors) against a local server.
 */
class MlflowTrackerTest {
  static final long NOW = 1_700_000_000_123L;
  FakeMlflowServer server;
  MlflowClient client;

  @BeforeEach
  void start() throws Exception {
    server = new FakeMlflowServer();
    client =
        new MlflowClient(
            server.uri(), null, Clock.fixed(Instant.ofEpochMilli(NOW), ZoneOffset.UTC));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void startCreatesTheMissingExperimentThenARun() {
    Tracker t = MlflowTracker.start(client, "d2o demo", "run-a");
    assertEquals("run1", t.runId().orElseThrow());
    List<FakeMlflowServer.Call> calls = server.calls;
    assertEquals("GET", calls.get(0).method());
    assertEquals("/api/2.0/mlflow/experiments/get-by-name", calls.get(0).path());
    assertEquals("experiment_name=d2o+demo", calls.get(0).query());
    assertEquals("{\"name\":\"d2o demo\"}", calls.get(1).body().toString());
    JsonNode create = server.calls("runs/create").get(0).body();
    assertEquals("7", create.get("experiment_id").asText());
    assertEquals("run-a", create.get("run_name").asText());
    assertEquals(NOW, create.get("start_time").asLong());
    assertEquals("mlflow.runName", create.get("tags").get(0).get("key").asText());
    assertEquals("run-a", create.get("tags").get(0).get("value").asText());
    assertEquals(3, calls.size());
  }

  @Test
  void anExistingExperimentIsReused() {
    server.experiments.add("exp");
    MlflowTracker.start(client, "exp", "r");
    assertEquals(0, server.calls("experiments/create").size());
    assertEquals("42", server.calls("runs/create").get(0).body().get("experiment_id").asText());
  }

  @Test
  void paramsAreBatchedByHundredsAndLongValuesTruncated() {
    Tracker t = MlflowTracker.start(client, "exp", "r");
    Map<String, String> params = new LinkedHashMap<>();
    for (int i = 0; i < 250; i++) {
      params.put("train.key" + i, "v" + i);
    }
    params.put("data.long", "x".repeat(MlflowTracker.MAX_PARAM_VALUE_LENGTH + 10));
    t.logParams(params);
    List<FakeMlflowServer.Call> batches = server.calls("runs/log-batch");
    assertEquals(List.of(100, 100, 51), sizes(batches, "params"));
    JsonNode first = batches.get(0).body();
    assertEquals("run1", first.get("run_id").asText());
    assertEquals("train.key0", first.get("params").get(0).get("key").asText());
    assertEquals("v0", first.get("params").get(0).get("value").asText());
    assertEquals(0, first.get("metrics").size());
    JsonNode last = batches.get(2).body().get("params").get(50);
    assertEquals("data.long", last.get("key").asText());
    assertEquals(MlflowTracker.MAX_PARAM_VALUE_LENGTH, last.get("value").asText().length());
  }

  @Test
  void metricsCarryStepAndTimestampAndAreBatchedByThousands() {
    Tracker t = MlflowTracker.start(client, "exp", "r");
    Map<String, Double> small = new LinkedHashMap<>();
    small.put("loss", 0.693);
    small.put("rewards/margins", -0.5);
    small.put("grad_norm", Double.NaN);
    t.logMetrics(12, small);
    JsonNode m = server.calls("runs/log-batch").get(0).body().get("metrics");
    assertEquals(
        "{\"key\":\"loss\",\"value\":0.693,\"timestamp\":" + NOW + ",\"step\":12}",
        m.get(0).toString());
    assertEquals("rewards/margins", m.get(1).get("key").asText());
    assertEquals(
        "NaN", m.get(2).get("value").asText(), "NaN goes as MLflow's protobuf JSON spells it");

    Map<String, Double> many = new LinkedHashMap<>();
    for (int i = 0; i < 2500; i++) {
      many.put("m" + i, (double) i);
    }
    t.logMetrics(13, many);
    List<FakeMlflowServer.Call> batches = server.calls("runs/log-batch");
    assertEquals(List.of(3, 1000, 1000, 500), sizes(batches, "metrics"));
    assertEquals(13, batches.get(3).body().get("metrics").get(499).get("step").asLong());
    assertEquals("m2499", batches.get(3).body().get("metrics").get(499).get("key").asText());
  }

  @Test
  void mixedBatchesKeepEveryLimitIncludingTheTotalAndTheByteSize() {
    List<MlflowClient.Metric> metrics = new ArrayList<>();
    for (int i = 0; i < 950; i++) {
      metrics.add(new MlflowClient.Metric("m" + i, i, NOW, 1));
    }
    List<MlflowClient.Entry> params = new ArrayList<>();
    for (int i = 0; i < 150; i++) {
      params.add(new MlflowClient.Entry("p" + i, "y".repeat(5000)));
    }
    List<MlflowClient.Entry> tags = List.of(new MlflowClient.Entry("t", "\"quoted\""));
    int requests = client.logBatch("r", metrics, params, tags);
    List<FakeMlflowServer.Call> batches = server.calls("runs/log-batch");
    assertEquals(requests, batches.size());
    int m = 0;
    int p = 0;
    for (FakeMlflowServer.Call c : batches) {
      JsonNode b = c.body();
      int total = b.get("metrics").size() + b.get("params").size() + b.get("tags").size();
      assertTrue(total <= 1000, "entities " + total);
      assertTrue(
          b.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8).length <= 1_000_000);
      m += b.get("metrics").size();
      p += b.get("params").size();
    }
    assertEquals(950, m);
    assertEquals(150, p);
    // 950 metrics + 50 params fill the first request to 1000; 150 × 5 kB params need 1 MB more.
    assertEquals(
        1000,
        batches.get(0).body().get("metrics").size() + batches.get(0).body().get("params").size());
  }

  @Test
  void tagsArtifactPathsAndFinish() {
    Tracker t = MlflowTracker.start(client, "exp", "r");
    t.setTag("stage", "train");
    t.logArtifactPath("final_model", "hdfs:///runs/a/final");
    t.finish(RunStatus.FINISHED);
    List<FakeMlflowServer.Call> tags = server.calls("runs/set-tag");
    assertEquals(
        "{\"run_id\":\"run1\",\"key\":\"stage\",\"value\":\"train\"}",
        tags.get(0).body().toString());
    assertEquals(
        "{\"run_id\":\"run1\",\"key\":\"d2o.final_model\",\"value\":\"hdfs:///runs/a/final\"}",
        tags.get(1).body().toString());
    assertEquals(
        "{\"run_id\":\"run1\",\"status\":\"FINISHED\",\"end_time\":" + NOW + "}",
        server.calls("runs/update").get(0).body().toString());
  }

  @Test
  void resumeContinuesTheSameRun() {
    String id = MlflowTracker.start(client, "exp", "r").runId().orElseThrow();
    Tracker resumed = MlflowTracker.resume(client, id);
    assertEquals(id, resumed.runId().orElseThrow());
    assertEquals("run_id=" + id, server.calls("runs/get").get(0).query());
    assertEquals(
        "{\"run_id\":\"" + id + "\",\"status\":\"RUNNING\"}",
        server.calls("runs/update").get(0).body().toString());
    resumed.logMetrics(5, Map.of("loss", 0.5));
    assertEquals(id, server.calls("runs/log-batch").get(0).body().get("run_id").asText());
    assertEquals(1, server.calls("runs/create").size(), "no second run");

    TrackingException e =
        assertThrows(TrackingException.class, () -> MlflowTracker.resume(client, "gone"));
    assertEquals(
        "cannot resume MLflow run gone: MLflow GET "
            + server.uri()
            + "/api/2.0/mlflow/runs/get?run_id=gone failed: HTTP 404 RESOURCE_DOES_NOT_EXIST: Run 'gone' not found",
        e.getMessage());
  }

  @Test
  void anErrorNamesTheEndpointAndTheServersAnswer() {
    Tracker t = MlflowTracker.start(client, "exp", "r");
    server.failures.put(
        "runs/log-batch",
        new Object[] {
          400, FakeMlflowServer.error("INVALID_PARAMETER_VALUE", "Param value too long")
        });
    TrackingException e =
        assertThrows(TrackingException.class, () -> t.logParams(Map.of("a", "b")));
    assertEquals(
        "MLflow POST "
            + server.uri()
            + "/api/2.0/mlflow/runs/log-batch failed: HTTP 400 INVALID_PARAMETER_VALUE: Param value too long",
        e.getMessage());
    server.failures.put("runs/set-tag", new Object[] {502, "<html>Bad Gateway</html>"});
    e = assertThrows(TrackingException.class, () -> t.setTag("k", "v"));
    assertEquals(
        "MLflow POST "
            + server.uri()
            + "/api/2.0/mlflow/runs/set-tag failed: HTTP 502 <html>Bad Gateway</html>",
        e.getMessage());
  }

  @Test
  void badKeysAreRefusedBeforeAnyCall() {
    Tracker t = MlflowTracker.start(client, "exp", "r");
    int before = server.calls.size();
    TrackingException e =
        assertThrows(TrackingException.class, () -> t.logMetrics(1, Map.of("loss?", 1.0)));
    assertEquals(
        "MLflow key 'loss?' is not allowed: keys are 1 to 250 characters of letters, digits, '_', '-', '.', ' ' and '/'",
        e.getMessage());
    assertEquals(before, server.calls.size());
  }

  @Test
  void aTokenIsSentAsBearer() {
    MlflowClient withToken = new MlflowClient(server.uri(), "s3cret", Clock.systemUTC());
    MlflowTracker.start(withToken, "exp", "r");
    assertTrue(server.calls.stream().allMatch(c -> "Bearer s3cret".equals(c.authorization())));
    assertTrue(!new TrackingSettings("http://x", "e", "r", "s3cret").toString().contains("s3cret"));
  }

  @Test
  void noUriMeansNoTrackingAndAnUnreachableServerIsAClearError() {
    Tracker off = Trackers.open(TrackingSettings.off(), null);
    assertTrue(off.runId().isEmpty());
    off.logParams(Map.of("a", "b"));
    off.logMetrics(1, Map.of("loss", 1.0));
    off.finish(RunStatus.FINISHED);
    int port = server.uri().getPort();
    server.close();
    TrackingException e =
        assertThrows(
            TrackingException.class,
            () ->
                Trackers.open(
                    new TrackingSettings("http://127.0.0.1:" + port, "exp", "r", null), null));
    assertTrue(
        e.getMessage()
            .startsWith(
                "MLflow GET http://127.0.0.1:"
                    + port
                    + "/api/2.0/mlflow/experiments/get-by-name?experiment_name=exp failed: "),
        e.getMessage());
    assertEquals(
        "MLflow tracking URI must be an http:// or https:// URL, got 'databricks'",
        assertThrows(
                TrackingException.class,
                () -> Trackers.open(new TrackingSettings("databricks", "e", "r", null), null))
            .getMessage());
  }

  static List<Integer> sizes(List<FakeMlflowServer.Call> calls, String field) {
    return calls.stream().map(c -> c.body().get(field).size()).toList();
  }
}
