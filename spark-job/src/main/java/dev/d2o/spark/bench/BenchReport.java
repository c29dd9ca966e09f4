package dev.d2o.spark.bench;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.bench.Stats;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The results of one {@code d2o bench} run: a JSON document (machine, versions, per-shape numbers
 * with every repetition) and a markdown table made from it.
 */
public final class BenchReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ObjectNode root = JSON.createObjectNode();
  private final ArrayNode shapes = root.putArray("shapes");
  private final List<String> rows = new ArrayList<>();

  /** Starts a report: machine, versions, the command and the load average at the start. */
  public BenchReport(String command) {
    ObjectNode m = root.putObject("machine");
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("cpu", cpuModel());
    m.put("load_before", loadAverage());
    root.put("command", command);
    root.put(
        "jvm",
        System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
    root.put("djl", Engine.getDjlVersion());
    root.put(
        "engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
  }

  /** The JSON root (for the command to add sections to). */
  public ObjectNode root() {
    return root;
  }

  /** A new per-shape object. */
  public ObjectNode shape(String name) {
    ObjectNode n = shapes.addObject();
    n.put("shape", name);
    return n;
  }

  /** A markdown table row: measurement, shape, value, unit and how it compares. */
  public void row(String what, String shape, String value, String note) {
    rows.add("| " + what + " | " + shape + " | " + value + " | " + note + " |");
  }

  /** Stats as JSON: every repetition, min and median. */
  public static ObjectNode stats(Stats s) {
    ObjectNode n = JSON.createObjectNode();
    ArrayNode a = n.putArray("seconds");
    for (double d : s.seconds()) {
      a.add(d);
    }
    n.put("min", s.min());
    n.put("median", s.median());
    return n;
  }

  /** Writes {@code latest.json} and {@code latest.md} under {@code dir}; returns the markdown. */
  public String write(Path dir) throws IOException {
    root.with("machine").put("load_after", loadAverage());
    Files.createDirectories(dir);
    Files.writeString(
        dir.resolve("latest.json"),
        JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
    String md = markdown();
    Files.writeString(dir.resolve("latest.md"), md);
    return md;
  }

  private String markdown() {
    ObjectNode m = (ObjectNode) root.get("machine");
    StringBuilder sb = new StringBuilder("# d2o bench\n\n");
    sb.append("`").append(root.get("command").asText()).append("`\n\n");
    sb.append("- machine: ")
        .append(m.get("cores").asInt())
        .append(" cores, ")
        .append(m.get("cpu").asText())
        .append("; load average (1, 5, 15 min) before ")
        .append(m.get("load_before").asText())
        .append(", after ")
        .append(m.get("load_after").asText())
        .append('\n');
    sb.append("- ")
        .append(root.get("jvm").asText())
        .append("; DJL ")
        .append(root.get("djl").asText())
        .append("; ")
        .append(root.get("engine").asText())
        .append(" (CPU, fp32), ")
        .append(root.path("engine_threads").asInt())
        .append(" intra-op threads\n");
    sb.append(
        "- times are per repetition; tokens/s use the fastest repetition (min), the median is in the note;"
            + " every repetition is in latest.json\n\n");
    sb.append("| measurement | shape | value | note |\n|---|---|---|---|\n");
    rows.forEach(r -> sb.append(r).append('\n'));
    return sb.toString();
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .findFirst()
          .orElse("unknown");
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** The first three fields of /proc/loadavg ("unknown" elsewhere). */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }
}
