package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d2o bench} on the tiny shape, one repetition of everything, so the benchmark cannot rot;
 * the real numbers come from {@code bin/d2o bench} by hand (docs/bench/).
 */
class BenchCommandIT {
  @TempDir Path tmp;

  @Test
  void tinyShapeEveryPart() throws Exception {
    assertEquals(
        0,
        D2oCli.run(
            "bench",
            "--shapes",
            "tiny",
            "--iterations",
            "1",
            "--new-tokens",
            "4",
            "--threads",
            "1",
            "--out",
            tmp.toString())); // one thread: a tiny model on a busy machine is fastest so

    JsonNode root = Jsonl.JSON.readTree(tmp.resolve("latest.json").toFile());
    assertTrue(root.get("peak_before_gflops").asDouble() > 0);
    assertTrue(root.get("machine").get("cores").asInt() >= 1);
    assertEquals(1, root.get("engine_threads").asInt());
    JsonNode tiny = root.get("shapes").get(0);
    assertEquals("tiny", tiny.get("shape").asText());
    assertEquals(4 * 256, tiny.get("train").get("tokens_per_step").asInt(), "batch 4 × 256");
    assertTrue(tiny.get("train").get("mfu").asDouble() > 0);
    assertTrue(tiny.get("score").get("tokens_per_s").asDouble() > 0);
    assertEquals(
        6, tiny.get("generate").size(), "batch 1 and 16: generator, its baseline, no cache");
    JsonNode anchors = tiny.get("anchors");
    assertEquals(11, anchors.get("samples_per_prompt").asInt());
    assertEquals(8 * 11 * 64, anchors.get("tokens_per_call").asInt());
    assertEquals(1, anchors.get("call").get("seconds").size());
    assertEquals(1, anchors.get("baseline_call").get("seconds").size());
    assertEquals(
        anchors.get("tokens_per_s").asDouble() / anchors.get("baseline_tokens_per_s").asDouble(),
        anchors.get("speedup").asDouble(),
        1e-9);
    assertTrue(tiny.get("spark").get("ratio").asDouble() > 0);
    JsonNode overheads = tiny.get("spark").get("overheads_median");
    for (String f :
        List.of(
            "broadcast",
            "replica_sync",
            "task_compute",
            "task_transport",
            "job_overhead",
            "result_serialization",
            "getting_result",
            "task_deserialize",
            "executor_gc",
            "result_merge",
            "driver_update")) {
      assertTrue(overheads.get(f).asDouble() >= 0, f + " in " + overheads);
    }
    assertTrue(overheads.get("task_compute").asDouble() > 0, overheads.toString());
    // the measured steps' rows were routed by the first step's shuffle: one stage, one task (G = 1)
    assertEquals(1, overheads.get("stages_per_step").asDouble(), overheads.toString());
    assertEquals(1, overheads.get("tasks_per_step").asDouble(), overheads.toString());
    JsonNode floor = tiny.get("spark").get("floor");
    assertEquals(1, floor.get("tasks").asInt(), floor.toString()); // the step's G
    assertEquals(
        4 * tiny.get("parameters").asLong(),
        floor.get("weight_bytes").asLong(),
        "all weights are trainable: " + floor);
    for (String f : List.of("empty_job", "broadcast", "both")) {
      JsonNode s = floor.get(f);
      assertEquals(3, s.get("seconds").size(), f + " in " + floor);
      assertTrue(s.get("min").asDouble() > 0, f + " in " + floor);
      assertTrue(s.get("median").asDouble() >= s.get("min").asDouble(), f + " in " + floor);
    }
    double local = tiny.get("spark").get("local_step").get("min").asDouble();
    assertEquals(
        (local + floor.get("both").get("min").asDouble()) / local,
        floor.get("implied_ratio").asDouble(),
        1e-9);
    assertTrue(floor.get("implied_ratio").asDouble() > 1, floor.toString());
    String md = Files.readString(tmp.resolve("latest.md"));
    assertTrue(md.contains("| measurement | shape | value | note |"), md);
    assertTrue(md.contains("generate, batch 16, KV cache"), md);
    assertTrue(md.contains("anchors, 8 prompts × K = 11"), md);
    assertTrue(md.contains("job beyond its task"), md);
    assertTrue(md.contains("floor with no work (fastest of 3): empty job of 1 task(s)"), md);
  }

  @Test
  void unknownShapeIsNamed() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      assertEquals(1, D2oCli.run("bench", "--shapes", "tiny,gpt3", "--out", tmp.toString()));
    } finally {
      System.setErr(old);
    }
    assertTrue(
        err.toString(StandardCharsets.UTF_8)
            .contains("--shapes: unknown shape 'gpt3'; known: tiny, gpt2-124m, llama-100m"),
        err.toString(StandardCharsets.UTF_8));
  }
}
