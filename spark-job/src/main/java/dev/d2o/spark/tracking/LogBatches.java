package dev.d2o.spark.tracking;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Cuts metrics, params and tags into {@code runs/log-batch} requests within MLflow's limits ({@code
 * mlflow/utils/validation.py}: at most 1000 metrics, 100 params, 100 tags and 1000 entities in all
 * per request, and a request body of at most 1 MB). Order within each kind is kept.
 */
final class LogBatches {
  static final int MAX_METRICS = 1000;
  static final int MAX_PARAMS = 100;
  static final int MAX_TAGS = 100;
  static final int MAX_ENTITIES = 1000;

  /** 1 MB less room for the envelope ({@code run_id}, array names). */
  static final int MAX_BYTES = 1_000_000 - 2_000;

  private LogBatches() {}

  /** One request's share. */
  record Batch(
      List<MlflowClient.Metric> metrics,
      List<MlflowClient.Entry> params,
      List<MlflowClient.Entry> tags) {
    int size() {
      return metrics.size() + params.size() + tags.size();
    }
  }

  static List<Batch> split(
      List<MlflowClient.Metric> metrics,
      List<MlflowClient.Entry> params,
      List<MlflowClient.Entry> tags) {
    List<Batch> out = new ArrayList<>();
    Builder b = new Builder();
    for (MlflowClient.Metric m : metrics) {
      int bytes = 80 + utf8(m.key());
      if (b.metrics.size() == MAX_METRICS || !b.fits(bytes)) {
        b = b.flush(out);
      }
      b.metrics.add(m);
      b.bytes += bytes;
    }
    for (MlflowClient.Entry p : params) {
      int bytes = 30 + json(p.key()) + json(p.value());
      if (b.params.size() == MAX_PARAMS || !b.fits(bytes)) {
        b = b.flush(out);
      }
      b.params.add(p);
      b.bytes += bytes;
    }
    for (MlflowClient.Entry t : tags) {
      int bytes = 30 + json(t.key()) + json(t.value());
      if (b.tags.size() == MAX_TAGS || !b.fits(bytes)) {
        b = b.flush(out);
      }
      b.tags.add(t);
      b.bytes += bytes;
    }
    b.flush(out);
    return out;
  }

  private static final class Builder {
    final List<MlflowClient.Metric> metrics = new ArrayList<>();
    final List<MlflowClient.Entry> params = new ArrayList<>();
    final List<MlflowClient.Entry> tags = new ArrayList<>();
    int bytes;

    boolean fits(int more) {
      int count = metrics.size() + params.size() + tags.size();
      return count < MAX_ENTITIES && (count == 0 || bytes + more <= MAX_BYTES);
    }

    Builder flush(List<Batch> out) {
      if (!metrics.isEmpty() || !params.isEmpty() || !tags.isEmpty()) {
        out.add(new Batch(List.copyOf(metrics), List.copyOf(params), List.copyOf(tags)));
      }
      return new Builder();
    }
  }

  private static int utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8).length;
  }

  /** An upper bound of the JSON-escaped size: quotes, backslashes and controls grow. */
  private static int json(String s) {
    int escapes = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == '"' || c == '\\') {
        escapes++;
      }
    }
    return utf8(s) + 5 * escapes + 2;
  }
}
