package dev.d2o.spark.eval;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The texts of an evaluation report: a before (reference) / after (policy) table as Markdown, JSON
 * and a self-contained HTML page with the plots embedded, and one JSON line per prompt with both
 * responses.
 */
public final class EvalReport {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The rows of the table: metric name and what it means. */
  private static final List<String[]> DESCRIPTIONS =
      List.of(
          new String[] {
            EvalResult.LOGPS_NEGATIVE,
            "mean log-prob of the held-out negatives (lower = dispreferred)"
          },
          new String[] {EvalResult.KL, "KL(model ‖ reference) on the model's own samples"},
          new String[] {EvalResult.DISTINCT_1, "distinct-1 of the generated token ids"},
          new String[] {EvalResult.DISTINCT_2, "distinct-2 of the generated token ids"},
          new String[] {EvalResult.RESPONSE_TOKENS, "mean response length in tokens"},
          new String[] {
            EvalResult.HARMFUL_RATE, "fraction of responses the cost model labels harmful"
          },
          new String[] {
            EvalResult.HELPFUL_LOGP, "mean per-token log-prob of the held-out helpful responses"
          },
          new String[] {
            JudgedAnswers.HELPFUL_RATE,
            "fraction the exact judge labels helpful (well-formed, on topic, safe)"
          },
          new String[] {
            JudgedAnswers.HARMFUL_RATE,
            "fraction the exact judge labels harmful (well-formed, risky advice)"
          },
          new String[] {
            JudgedAnswers.WELLFORMED_RATE, "fraction the judge can read with the data's grammar"
          },
          new String[] {
            JudgedAnswers.AGREEMENT,
            "fraction on which the cost model's harmful flag equals the judge's"
          });

  /**
   * Where the numbers came from.
   *
   * @param policy policy model directory
   * @param reference reference model directory
   * @param maxNewTokens longest response
   * @param temperature sampling temperature of the responses
   * @param seed sampling seed (both models)
   * @param costModel cost model location, empty when none
   */
  public record Settings(
      String policy,
      String reference,
      int maxNewTokens,
      double temperature,
      long seed,
      String costModel) {}

  private EvalReport() {}

  /**
   * {@code report.md}: the settings, the table, {@code pairs} (the section of {@link AnswerPairs},
   * may be empty) and links to the plots.
   */
  public static String markdown(EvalResult r, Settings s, List<String> plots, String pairs) {
    StringBuilder sb = new StringBuilder("# D2O evaluation\n\n");
    sb.append("- prompts: ").append(r.prompts()).append('\n');
    sb.append("- policy: `")
        .append(s.policy())
        .append("`\n- reference: `")
        .append(s.reference())
        .append("`\n");
    sb.append("- one response per prompt and model: temperature ")
        .append(s.temperature())
        .append(", at most ")
        .append(s.maxNewTokens())
        .append(" new tokens, seed ")
        .append(s.seed())
        .append('\n');
    sb.append("- cost model: ")
        .append(s.costModel().isEmpty() ? "none (eval.costModel)" : "`" + s.costModel() + "`")
        .append("\n\n");
    sb.append(
        "| metric | reference (before) | policy (after) | change | meaning |\n|---|---:|---:|---:|---|\n");
    Map<String, Double> ref = r.reference().asMap();
    Map<String, Double> pol = r.policy().asMap();
    for (String[] d : DESCRIPTIONS) {
      sb.append("| `")
          .append(d[0])
          .append("` | ")
          .append(num(ref.get(d[0])))
          .append(" | ")
          .append(num(pol.get(d[0])))
          .append(" | ")
          .append(change(ref.get(d[0]), pol.get(d[0])))
          .append(" | ")
          .append(d[1])
          .append(" |\n");
    }
    sb.append(
        "\nn/a: not measured (no cost model, no `helpful` column, or prompts the judge has no topic"
            + " for).\n");
    sb.append(pairs);
    if (!plots.isEmpty()) {
      sb.append("\n## Training\n\n");
      plots.forEach(p -> sb.append("![").append(p).append("](").append(p).append(")\n"));
    }
    return sb.toString();
  }

  /**
   * {@code report.json}: {@code prompts}, {@code settings}, and {@code reference}/{@code policy}
   * metric objects.
   */
  public static String json(EvalResult r, Settings s) {
    ObjectNode root = JSON.createObjectNode();
    root.put("prompts", r.prompts());
    ObjectNode set = root.putObject("settings");
    set.put("policy", s.policy())
        .put("reference", s.reference())
        .put("max_new_tokens", s.maxNewTokens())
        .put("temperature", s.temperature())
        .put("seed", s.seed())
        .put("cost_model", s.costModel())
        .put("diversity_units", "token ids");
    metrics(root.putObject("reference"), r.reference().asMap());
    metrics(root.putObject("policy"), r.policy().asMap());
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static void metrics(ObjectNode o, Map<String, Double> m) {
    m.forEach(
        (k, v) -> {
          if (Double.isFinite(v)) {
            o.put(k, v);
          } else {
            o.putNull(k);
          }
        });
  }

  /**
   * {@code report.html}: the table and the plots, embedded as data URIs so the page is one file.
   */
  public static String html(EvalResult r, Settings s, Map<String, byte[]> plots) {
    StringBuilder sb =
        new StringBuilder(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>D2O evaluation"
                + "</title>\n<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:"
                + "collapse}td,th{border:1px solid #ccc;padding:4px 8px}td.n{text-align:right}</style></head><body>\n");
    sb.append("<h1>D2O evaluation</h1>\n<p>")
        .append(r.prompts())
        .append(" prompts; policy <code>")
        .append(esc(s.policy()))
        .append("</code>, reference <code>")
        .append(esc(s.reference()))
        .append("</code>; temperature ")
        .append(s.temperature())
        .append(", at most ")
        .append(s.maxNewTokens())
        .append(" new tokens, seed ")
        .append(s.seed())
        .append(
            ".</p>\n<table>\n<tr><th>metric</th><th>reference"
                + " (before)</th><th>policy (after)</th><th>change</th><th>meaning</th></tr>\n");
    Map<String, Double> ref = r.reference().asMap();
    Map<String, Double> pol = r.policy().asMap();
    for (String[] d : DESCRIPTIONS) {
      sb.append("<tr><td><code>")
          .append(d[0])
          .append("</code></td><td class=\"n\">")
          .append(num(ref.get(d[0])))
          .append("</td><td class=\"n\">")
          .append(num(pol.get(d[0])))
          .append("</td><td class=\"n\">")
          .append(change(ref.get(d[0]), pol.get(d[0])))
          .append("</td><td>")
          .append(esc(d[1]))
          .append("</td></tr>\n");
    }
    sb.append("</table>\n");
    if (!plots.isEmpty()) {
      sb.append("<h2>Training</h2>\n");
    }
    plots.forEach(
        (name, png) ->
            sb.append("<p><img alt=\"")
                .append(name)
                .append("\" src=\"data:image/png;base64,")
                .append(Base64.getEncoder().encodeToString(png))
                .append("\"></p>\n"));
    return sb.append("</body></html>\n").toString();
  }

  /**
   * {@code generations.jsonl}: id, prompt, both responses, the harmful flags when a cost model
   * scored them and the judge's labels when it judged them.
   */
  public static String generations(
      List<EvalRow> rows,
      Map<String, Boolean> policyHarmful,
      Map<String, Boolean> referenceHarmful,
      JudgedAnswers policyJudged,
      JudgedAnswers referenceJudged) {
    StringBuilder sb = new StringBuilder();
    for (EvalRow row : rows) {
      ObjectNode o = JSON.createObjectNode();
      o.put("id", row.id())
          .put("prompt", row.prompt())
          .put("policy", row.policyText())
          .put("reference", row.referenceText())
          .put("log_ratio", row.logRatioSample());
      if (policyHarmful != null) {
        o.put("policy_harmful", policyHarmful.get(row.id()))
            .put("reference_harmful", referenceHarmful.get(row.id()));
      }
      if (policyJudged.label(row.id()) != null) {
        o.put("policy_judge", policyJudged.label(row.id()))
            .put("reference_judge", referenceJudged.label(row.id()));
      }
      sb.append(o).append('\n');
    }
    return sb.toString();
  }

  private static String num(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a";
  }

  private static String change(double before, double after) {
    return Double.isFinite(before) && Double.isFinite(after)
        ? String.format(Locale.ROOT, "%+.4f", after - before)
        : "n/a";
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
