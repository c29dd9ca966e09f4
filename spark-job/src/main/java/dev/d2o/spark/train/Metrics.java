package dev.d2o.spark.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.spark.io.HadoopFiles;
import dev.d2o.spark.io.RunDir;
import dev.d2o.train.StepResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code metrics.jsonl} of a run: one JSON object per step with {@code step} and the metric names
 * of ARCHITECTURE.md section 2. The file is rewritten atomically after each step (object stores
 * cannot append).
 */
public final class Metrics {
  public static final String FILE = "metrics.jsonl";
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunDir run;
  private final List<String> lines = new ArrayList<>();

  Metrics(RunDir run) {
    this.run = run;
  }

  /** Keeps the lines of steps before {@code step} from an earlier attempt of this run (resume). */
  void truncateTo(long step) {
    lines.clear();
    if (!run.exists(FILE)) {
      return;
    }
    try {
      for (String l : HadoopFiles.readString(run.path(FILE), run.conf()).split("\n")) {
        if (!l.isBlank() && JSON.readTree(l).path("step").asLong() < step) {
          lines.add(l);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + run.path(FILE), e);
    }
  }

  /** Appends one step. */
  void append(StepResult r) {
    ObjectNode n = JSON.createObjectNode();
    n.put("step", r.step());
    for (Map.Entry<String, Double> e : r.metrics().entrySet()) {
      n.put(e.getKey(), e.getValue());
    }
    if (r.skipped()) {
      n.put("skipped_reason", r.reason());
    }
    lines.add(n.toString());
    run.write(FILE, String.join("\n", lines) + "\n");
  }

  /** Reads a metrics file's objects. */
  public static List<JsonNode> read(RunDir run) {
    List<JsonNode> out = new ArrayList<>();
    try {
      for (String l : HadoopFiles.readString(run.path(FILE), run.conf()).split("\n")) {
        if (!l.isBlank()) {
          out.add(JSON.readTree(l));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }
}
