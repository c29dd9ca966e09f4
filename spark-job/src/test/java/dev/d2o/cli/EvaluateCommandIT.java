package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.d2o.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code d2o evaluate} end to end on its own local SparkSession, and its input errors. */
class EvaluateCommandIT {
  @TempDir static Path tmp;
  static Path model;

  @BeforeAll
  static void setUp() {
    // what SparkSessions.create does not set: tests bind to 127.0.0.1 without a UI (read from
    // spark.* properties)
    System.setProperty("spark.ui.enabled", "false");
    System.setProperty("spark.driver.host", "127.0.0.1");
    System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    model = TinyModels.writeRandom(TinyModels.llama(), 5, tmp.resolve("model"));
  }

  @AfterAll
  static void tearDown() {
    List.of("spark.ui.enabled", "spark.driver.host", "spark.driver.bindAddress")
        .forEach(System::clearProperty);
  }

  @Test
  void writesTheReportWithPlotsAndTheHelpfulProxy() throws Exception {
    // no id column: rows get "row-N" ids, and the helpful column must still reach its own row
    Path data = tmp.resolve("heldout.jsonl");
    Files.writeString(
        data,
        "{\"prompt\": \"Hi?\", \"negative\": \"Go away.\", \"helpful\": \"Hello!\"}\n"
            + "{\"prompt\": \"Help me\", \"negative\": \"No.\", \"helpful\": \"Sure, here is how.\"}\n"
            + "{\"prompt\": \"Bye\", \"negative\": \"Whatever.\"}\n");
    Path metrics = tmp.resolve("metrics.jsonl");
    Files.writeString(
        metrics,
        "{\"step\": 1, \"loss\": 0.693, \"rewards/margins\": 0.0}\n"
            + "{\"step\": 2, \"loss\": 0.61, \"rewards/margins\": 0.2, \"eval/harmful_rate\": 0.4}\n"
            + "{\"step\": 3, \"loss\": 0.52, \"rewards/margins\": 0.5}\n");
    Path out = tmp.resolve("report");
    int rc =
        D2oCli.run(
            "evaluate",
            "--set",
            "data.eval=" + data,
            "--set",
            "run.master=local[2]",
            "--set",
            "model.path=" + model,
            "--set",
            "eval.maxNewTokens=6",
            "--policy",
            model.toString(),
            "--output",
            out.toString(),
            "--metrics",
            metrics.toString());
    assertEquals(0, rc);
    for (String f :
        List.of(
            "report.md",
            "report.json",
            "report.html",
            "generations.jsonl",
            "loss.png",
            "margins.png",
            "harmful_rate.png")) {
      assertTrue(Files.size(out.resolve(f)) > 0, f);
    }
    JsonNode report = Jsonl.JSON.readTree(out.resolve("report.json").toFile());
    assertEquals(3, report.get("prompts").asInt());
    assertTrue(
        report.get("policy").get("helpful/logp_per_token").asDouble() < 0, "helpful column joined");
    assertEquals(0, report.get("policy").get("kl").asDouble(), 1e-4, "policy = reference");
    String html = Files.readString(out.resolve("report.html"));
    assertEquals(3, html.split("data:image/png;base64,", -1).length - 1, "three plots embedded");
    assertTrue(Files.readString(out.resolve("report.md")).contains("![loss.png](loss.png)"));
    assertTrue(
        SparkSession.getActiveSession().isEmpty()
            || SparkSession.getActiveSession().get().sparkContext().isStopped(),
        "the command stops its session");
  }

  @Test
  void withoutHeldOutDataItSaysWhichKeyToSet() {
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      rc =
          D2oCli.run(
              "evaluate", "--policy", model.toString(), "--output", tmp.resolve("none").toString());
    } finally {
      System.setErr(saved);
    }
    assertEquals(1, rc);
    assertEquals(
        "d2o evaluate: error: no held-out prompts: set data.eval (in --conf or with --set data.eval=PATH)",
        err.toString(StandardCharsets.UTF_8).strip());
  }
}
