package dev.d2o.spark.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The calls of MLflow's tracking REST API ({@code /api/2.0/mlflow/...}) the tracker needs, over
 * {@link HttpClient} and Jackson: experiments get-by-name and create, runs create, get and update,
 * set-tag and log-batch. Every failure is a {@link TrackingException} naming the method, the URL
 * and the server's answer. Batches are cut to MLflow's limits ({@link LogBatches}).
 */
public final class MlflowClient {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final URI base;
  private final String token;
  private final Clock clock;
  private final HttpClient http;

  /** A metric point: MLflow's {@code Metric} message. */
  public record Metric(String key, double value, long timestamp, long step) {}

  /** A parameter or a tag: MLflow's {@code Param} and {@code RunTag} messages. */
  public record Entry(String key, String value) {}

  /**
   * @param base the tracking server, e.g. {@code http://127.0.0.1:5000} (a path prefix is kept)
   * @param token sent as {@code Authorization: Bearer <token>} when not null
   * @param clock the time of run starts, ends and metric timestamps
   */
  public MlflowClient(URI base, String token, Clock clock) {
    if (base.getScheme() == null
        || !(base.getScheme().equals("http") || base.getScheme().equals("https"))) {
      throw new TrackingException(
          "MLflow tracking URI must be an http:// or https:// URL, got '" + base + "'");
    }
    String s = base.toString();
    this.base = URI.create(s.endsWith("/") ? s : s + "/");
    this.token = token;
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
  }

  /** Milliseconds since the epoch on the client's clock (MLflow's timestamps). */
  public long now() {
    return clock.millis();
  }

  /** The id of the experiment named {@code name}, or empty when there is none. */
  public Optional<String> experimentIdByName(String name) {
    try {
      JsonNode r = get("experiments/get-by-name", "experiment_name", name);
      return Optional.of(r.path("experiment").path("experiment_id").asText());
    } catch (NotFound e) {
      return Optional.empty();
    }
  }

  /** Creates the experiment {@code name}; returns its id. */
  public String createExperiment(String name) {
    ObjectNode body = JSON.createObjectNode().put("name", name);
    return post("experiments/create", body).path("experiment_id").asText();
  }

  /** Creates a run; returns its id. */
  public String createRun(String experimentId, String runName, long startTime, List<Entry> tags) {
    ObjectNode body =
        JSON.createObjectNode()
            .put("experiment_id", experimentId)
            .put("run_name", runName)
            .put("start_time", startTime);
    ArrayNode t = body.putArray("tags");
    tags.forEach(e -> t.addObject().put("key", e.key()).put("value", e.value()));
    JsonNode run = post("runs/create", body).path("run").path("info");
    return run.path("run_id").asText(run.path("run_uuid").asText());
  }

  /** The run {@code runId} ({@code {"info": ..., "data": ...}}). */
  public JsonNode getRun(String runId) {
    return get("runs/get", "run_id", runId).path("run");
  }

  /** Sets the run's status ({@code RUNNING}, {@code FINISHED}, ...) and, when given, end time. */
  public void updateRun(String runId, String status, Long endTime) {
    ObjectNode body = JSON.createObjectNode().put("run_id", runId).put("status", status);
    if (endTime != null) {
      body.put("end_time", endTime);
    }
    post("runs/update", body);
  }

  /** Sets one tag. */
  public void setTag(String runId, String key, String value) {
    post(
        "runs/set-tag",
        JSON.createObjectNode().put("run_id", runId).put("key", key).put("value", value));
  }

  /**
   * Logs metrics, params and tags in as few {@code runs/log-batch} requests as MLflow's limits
   * allow; returns the number of requests sent.
   */
  public int logBatch(String runId, List<Metric> metrics, List<Entry> params, List<Entry> tags) {
    List<LogBatches.Batch> batches = LogBatches.split(metrics, params, tags);
    for (LogBatches.Batch b : batches) {
      ObjectNode body = JSON.createObjectNode().put("run_id", runId);
      ArrayNode m = body.putArray("metrics");
      b.metrics()
          .forEach(
              x ->
                  m.addObject()
                      .put("key", x.key())
                      .put("value", x.value())
                      .put("timestamp", x.timestamp())
                      .put("step", x.step()));
      ArrayNode p = body.putArray("params");
      b.params().forEach(x -> p.addObject().put("key", x.key()).put("value", x.value()));
      ArrayNode t = body.putArray("tags");
      b.tags().forEach(x -> t.addObject().put("key", x.key()).put("value", x.value()));
      post("runs/log-batch", body);
    }
    return batches.size();
  }

  /** A 404 with RESOURCE_DOES_NOT_EXIST: the caller decides whether that is an error. */
  static final class NotFound extends TrackingException {
    private static final long serialVersionUID = 1L;

    NotFound(String message) {
      super(message);
    }
  }

  private JsonNode get(String endpoint, String param, String value) {
    URI uri =
        base.resolve(
            "api/2.0/mlflow/"
                + endpoint
                + "?"
                + param
                + "="
                + URLEncoder.encode(value, StandardCharsets.UTF_8));
    return send("GET", uri, HttpRequest.newBuilder(uri).GET());
  }

  private JsonNode post(String endpoint, ObjectNode body) {
    URI uri = base.resolve("api/2.0/mlflow/" + endpoint);
    String json;
    try {
      json = JSON.writeValueAsString(body);
    } catch (IOException e) {
      throw new TrackingException("cannot write the JSON of " + endpoint + ": " + e, e);
    }
    return send(
        "POST",
        uri,
        HttpRequest.newBuilder(uri)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8)));
  }

  private JsonNode send(String method, URI uri, HttpRequest.Builder request) {
    request.timeout(TIMEOUT);
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> response;
    try {
      response =
          http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new TrackingException("MLflow " + method + " " + uri + " failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new TrackingException("MLflow " + method + " " + uri + " interrupted", e);
    }
    String text = response.body() == null ? "" : response.body();
    if (response.statusCode() / 100 == 2) {
      try {
        return text.isBlank() ? JSON.createObjectNode() : JSON.readTree(text);
      } catch (IOException e) {
        throw new TrackingException(
            "MLflow " + method + " " + uri + " answered HTTP 200 with invalid JSON: " + clip(text));
      }
    }
    String detail = clip(text);
    String code = "";
    try {
      JsonNode err = JSON.readTree(text);
      if (err != null && err.has("error_code")) {
        code = err.path("error_code").asText();
        detail = code + ": " + err.path("message").asText();
      }
    } catch (IOException notJson) {
      // keep the raw body: proxies answer in HTML
    }
    String message =
        "MLflow " + method + " " + uri + " failed: HTTP " + response.statusCode() + " " + detail;
    if (response.statusCode() == 404 && code.equals("RESOURCE_DOES_NOT_EXIST")) {
      throw new NotFound(message);
    }
    throw new TrackingException(message);
  }

  private static String clip(String s) {
    return s.length() <= 500 ? s : s.substring(0, 500) + "...";
  }
}
