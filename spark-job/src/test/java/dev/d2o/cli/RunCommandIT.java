package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d2o run} end to end in-process on local[2]: the README's main command (the demo),
 * shortened.
 */
class RunCommandIT {
  @TempDir Path tmp;

  @Test
  void runsTheDemoShortened() throws Exception {
    Path run = tmp.resolve("run");
    // a slow harmful-rate probe: its seconds must show in timing/probe, not in the step's gradient
    System.setProperty("d2o.delay.probe", "3000");
    int rc;
    try {
      rc = run(run);
    } finally {
      System.clearProperty("d2o.delay.probe");
    }
    assertEquals(0, rc);
    checkRun(run);
  }

  private static int run(Path run) {
    return D2oCli.run(
        "run",
        "--conf",
        "../conf/local.conf",
        "--set",
        "run.dir=" + run,
        "--set",
        "data.input=../data-samples/harmless/train.jsonl",
        "--set",
        "data.maxRows=16",
        "--set",
        "model.path=../data-samples/model",
        "--set",
        "data.eval=../data-samples/harmless/eval.jsonl",
        "--set",
        "eval.costModel=../data-samples/cost-model",
        "--set",
        "anchors.numSamples=2",
        "--set",
        "train.maxSteps=3",
        "--set",
        "train.batchSize=4",
        "--set",
        "train.checkpointEvery=3",
        "--set",
        "anchors.maxNewTokens=8",
        "--set",
        "eval.maxPrompts=8",
        "--set",
        "eval.maxNewTokens=8",
        "--set",
        "eval.every=2",
        "--set",
        "eval.everyPrompts=8");
  }

  private static void checkRun(Path run) throws Exception {
    JsonNode summary = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
    assertEquals(3000, summary.get("input_rows").asInt());
    assertEquals(0, summary.get("rejected_rows").asInt());
    assertEquals(2984, summary.get("unused_rows (data.maxRows)").asInt());
    assertEquals(16, summary.get("anchor_rows").asInt());
    assertEquals(3, summary.get("steps").asInt());
    var lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(3, lines.size());
    assertTrue(
        lines.get(0).contains("\"eval/harmful_rate\""), "the harmful-rate probe runs at step 0");
    assertTrue(!lines.get(1).contains("\"eval/harmful_rate\""), "and every 2 steps");
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < 3; i++) {
      JsonNode m = json.readTree(lines.get(i));
      boolean probed = i % 2 == 0;
      assertEquals(probed, m.has("timing/probe"), lines.get(i));
      assertEquals(probed, m.has("timing/generate"), "the probe generates: " + lines.get(i));
      double aggregate = m.get("timing/aggregate").asDouble();
      if (probed) {
        assertTrue(m.get("timing/probe").asDouble() >= 3.0, lines.get(i));
        assertTrue(m.get("timing/generate").asDouble() > 0, lines.get(i));
        assertTrue(aggregate < 3.0, "the probe is not in timing/aggregate: " + lines.get(i));
      }
      assertEquals(
          m.get("tokens_per_s").asDouble() * aggregate,
          Math.rint(m.get("tokens_per_s").asDouble() * aggregate),
          1e-6 * m.get("tokens_per_s").asDouble() * aggregate,
          "tokens_per_s is the step's whole tokens over timing/aggregate: " + lines.get(i));
      assertTrue(m.get("timing/forward_backward").asDouble() > 0, lines.get(i));
    }
    JsonNode report = new ObjectMapper().readTree(run.resolve("eval/report.json").toFile());
    assertTrue(report.toString().contains("harmful_rate"), report.toString());
    for (String f :
        new String[] {
          "config.conf",
          "final/model.safetensors",
          "final/config.json",
          "final/tokenizer.json",
          "anchors/_SUCCESS",
          "eval/report.md",
          "eval/report.html",
          "eval/loss.png",
          "checkpoints/checkpoint-00000003/_COMPLETE",
          "eval/harmful_rate.png"
        }) {
      assertTrue(Files.exists(run.resolve(f)), f);
    }
    assertTrue(!Files.exists(run.resolve("_LOCK")), "the lock is released at the end");
  }
}
