package dev.d2o.spark.tracking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An MLflow tracking server stand-in on 127.0.0.1 (the JDK's HttpServer): it records every call and
 * answers the endpoints the client uses the way MLflow does, including MLflow's own refusal of
 * log-batch requests over its limits, so a client that sent too much would fail here too.
 */
final class FakeMlflowServer implements AutoCloseable {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One recorded call. */
  record Call(String method, String path, String query, String authorization, JsonNode body) {}

  final List<Call> calls = new ArrayList<>();
  final Set<String> experiments = new HashSet<>();
  final Set<String> runs = new HashSet<>();

  /** Endpoint (e.g. "runs/set-tag") to a canned (status, body) answer, overriding the default. */
  final Map<String, Object[]> failures = new ConcurrentHashMap<>();

  private final HttpServer server;
  private int nextRun = 1;

  FakeMlflowServer() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  URI uri() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  synchronized List<Call> calls(String endpoint) {
    return calls.stream().filter(c -> c.path().equals("/api/2.0/mlflow/" + endpoint)).toList();
  }

  private synchronized void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    JsonNode json = body.isEmpty() ? null : JSON.readTree(body);
    String path = ex.getRequestURI().getPath();
    String query = ex.getRequestURI().getRawQuery();
    calls.add(
        new Call(
            ex.getRequestMethod(),
            path,
            query,
            ex.getRequestHeaders().getFirst("Authorization"),
            json));
    String endpoint = path.replaceFirst("^/api/2\\.0/mlflow/", "");
    Object[] failure = failures.get(endpoint);
    if (failure != null) {
      reply(ex, (Integer) failure[0], (String) failure[1]);
      return;
    }
    switch (endpoint) {
      case "experiments/get-by-name" -> {
        String name =
            URLDecoder.decode(query.replaceFirst("^experiment_name=", ""), StandardCharsets.UTF_8);
        if (experiments.contains(name)) {
          reply(
              ex, 200, "{\"experiment\": {\"experiment_id\": \"42\", \"name\": \"" + name + "\"}}");
        } else {
          reply(
              ex,
              404,
              error(
                  "RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name '" + name + "'"));
        }
      }
      case "experiments/create" -> {
        experiments.add(json.get("name").asText());
        reply(ex, 200, "{\"experiment_id\": \"7\"}");
      }
      case "runs/create" -> {
        String id = "run" + nextRun++;
        runs.add(id);
        reply(
            ex,
            200,
            "{\"run\": {\"info\": {\"run_id\": \""
                + id
                + "\", \"run_uuid\": \""
                + id
                + "\", \"status\": \"RUNNING\"}, \"data\": {}}}");
      }
      case "runs/get" -> {
        String id = query.replaceFirst("^run_id=", "");
        if (runs.contains(id)) {
          reply(
              ex,
              200,
              "{\"run\": {\"info\": {\"run_id\": \"" + id + "\", \"status\": \"FAILED\"}}}");
        } else {
          reply(ex, 404, error("RESOURCE_DOES_NOT_EXIST", "Run '" + id + "' not found"));
        }
      }
      case "runs/update" -> reply(ex, 200, "{\"run_info\": {}}");
      case "runs/set-tag" -> reply(ex, 200, "{}");
      case "runs/log-batch" -> reply(ex, 200, logBatchLimits(json));
      default -> reply(ex, 404, error("ENDPOINT_NOT_FOUND", "no endpoint " + path));
    }
  }

  /** MLflow's _validate_batch_log_limits: the same limits and message; "{}" when within them. */
  private static String logBatchLimits(JsonNode json) {
    int m = json.path("metrics").size();
    int p = json.path("params").size();
    int t = json.path("tags").size();
    String[][] checks = {
      {"metrics", "1000", String.valueOf(m)},
      {"params", "100", String.valueOf(p)},
      {"tags", "100", String.valueOf(t)},
      {"metrics, params, and tags", "1000", String.valueOf(m + p + t)}
    };
    for (String[] c : checks) {
      if (Integer.parseInt(c[2]) > Integer.parseInt(c[1])) {
        return "LIMIT " + c[0];
      }
    }
    return "{}";
  }

  static String error(String code, String message) {
    return "{\"error_code\": \"" + code + "\", \"message\": \"" + message + "\"}";
  }

  private static void reply(HttpExchange ex, int status, String body) throws IOException {
    if (body.startsWith("LIMIT ")) {
      String what = body.substring(6);
      status = 400;
      body =
          error(
              "INVALID_PARAMETER_VALUE", "A batch logging request exceeded the limit for " + what);
    }
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
