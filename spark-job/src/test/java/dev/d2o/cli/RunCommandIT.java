package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code d2o run} end to end in-process on local[2], as the README's main command runs it. */
class RunCommandIT {
  @TempDir Path tmp;

  @Test
  void runsAllStagesWithTheShippedConfigurationShortened() throws Exception {
    Path run = tmp.resolve("run");
    int rc = D2oCli.run("run", "--conf", "../conf/local.conf",
        "--set", "run.dir=" + run, "--set", "data.input=../data-samples/negatives-sample.jsonl",
        "--set", "model.path=../data-samples/tiny-random-llama", "--set", "data.eval=../data-samples/eval-sample.jsonl",
        "--set", "train.maxSteps=3", "--set", "anchors.maxNewTokens=8", "--set", "eval.maxPrompts=4",
        "--set", "eval.maxNewTokens=8", "--set", "run.master=local[2]");
    assertEquals(0, rc);
    JsonNode summary = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
    assertEquals(32, summary.get("input_rows").asInt());
    assertEquals(0, summary.get("rejected_rows").asInt());
    assertEquals(3, summary.get("steps").asInt());
    assertEquals(3, Files.readAllLines(run.resolve("metrics.jsonl")).size());
    for (String f : new String[] {"config.conf", "final/model.safetensors", "final/config.json",
        "final/tokenizer.json", "anchors/_SUCCESS", "eval/report.md", "eval/report.html", "eval/loss.png",
        "checkpoints/checkpoint-00000003/_COMPLETE"}) {
      assertTrue(Files.exists(run.resolve(f)), f);
    }
    assertTrue(!Files.exists(run.resolve("_LOCK")), "the lock is released at the end");
  }
}
