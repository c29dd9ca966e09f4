package dev.d2o.spark.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plots of a training run's {@code metrics.jsonl} (one JSON object per line with {@code step} and
 * metrics named as TRL names them): {@code loss.png}, {@code margins.png}, {@code logps.png} and,
 * when evaluation ran during training, {@code harmful_rate.png}. A plot whose metrics never occur
 * is not drawn.
 */
public final class TrainingPlots {
  /** Default plot size in pixels. */
  public static final int WIDTH = 800;

  public static final int HEIGHT = 450;

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * One metric over training: the steps where it was logged and its values there.
   *
   * @param steps the {@code step} of each line that has the metric
   * @param values the metric's values (NaN where the line held null or a non-number)
   */
  public record Curve(double[] steps, double[] values) {}

  private TrainingPlots() {}

  /** Every numeric metric of {@code jsonl} by name; {@code source} names the file in errors. */
  public static Map<String, Curve> parse(String jsonl, String source) {
    Map<String, List<double[]>> points = new LinkedHashMap<>();
    String[] lines = jsonl.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(lines[i]);
      } catch (IOException e) {
        throw new IllegalArgumentException(
            source + " line " + (i + 1) + ": not JSON: " + e.getMessage());
      }
      JsonNode step = node == null ? null : node.get("step");
      if (step == null || !step.isNumber()) {
        throw new IllegalArgumentException(
            source + " line " + (i + 1) + ": no numeric 'step' field");
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        if (!e.getKey().equals("step") && (e.getValue().isNumber() || e.getValue().isNull())) {
          double v = e.getValue().isNumber() ? e.getValue().asDouble() : Double.NaN;
          points
              .computeIfAbsent(e.getKey(), k -> new ArrayList<>())
              .add(new double[] {step.asDouble(), v});
        }
      }
    }
    Map<String, Curve> out = new LinkedHashMap<>();
    points.forEach(
        (k, l) ->
            out.put(
                k,
                new Curve(
                    l.stream().mapToDouble(p -> p[0]).toArray(),
                    l.stream().mapToDouble(p -> p[1]).toArray())));
    return out;
  }

  /** The plots of {@code metrics} as PNG bytes by file name, in report order. */
  public static Map<String, byte[]> render(Map<String, Curve> metrics, int width, int height) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    plot(out, metrics, "loss.png", "Training loss", "loss", List.of("loss"), width, height);
    plot(
        out,
        metrics,
        "margins.png",
        "Rewards (margin z, anchors, negative)",
        "reward",
        List.of("rewards/margins", "rewards/anchors", "rewards/negative"),
        width,
        height);
    plot(
        out,
        metrics,
        "logps.png",
        "Policy log-probs",
        "log-prob (sum over tokens)",
        List.of("logps/anchors", "logps/negative"),
        width,
        height);
    plot(
        out,
        metrics,
        "harmful_rate.png",
        "Harmful rate on held-out prompts",
        "harmful rate",
        List.of("eval/harmful_rate"),
        width,
        height);
    plot(
        out,
        metrics,
        "judge_rates.png",
        "The exact judge on the probe's answers",
        "rate",
        List.of(
            "eval/" + JudgedAnswers.HELPFUL_RATE,
            "eval/" + JudgedAnswers.HARMFUL_RATE,
            "eval/" + JudgedAnswers.WELLFORMED_RATE),
        width,
        height);
    return out;
  }

  private static void plot(
      Map<String, byte[]> out,
      Map<String, Curve> metrics,
      String file,
      String title,
      String yLabel,
      List<String> names,
      int width,
      int height) {
    LinePlot p = new LinePlot(title, "step", yLabel);
    int n = 0;
    for (String name : names) {
      Curve c = metrics.get(name);
      if (c != null) {
        p.add(name, c.steps(), c.values());
        n++;
      }
    }
    if (n > 0) {
      out.put(file, p.png(width, height));
    }
  }
}
