package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d2o bench --parts lora} on the tiny shape: the LoRA step with an F16 base is reported
 * beside the same step with an F32 base, with tokens/s and peak memory for each.
 */
class BenchLoraPartIT {
  @TempDir Path tmp;

  @Test
  void f16BaseBesideF32Base() throws Exception {
    assertEquals(
        0,
        D2oCli.run(
            "bench",
            "--shapes",
            "tiny",
            "--parts",
            "lora",
            "--iterations",
            "1",
            "--threads",
            "1",
            "--out",
            tmp.toString()));

    JsonNode lora =
        Jsonl.JSON.readTree(tmp.resolve("latest.json").toFile()).get("shapes").get(0).get("lora");
    assertEquals(16, lora.get("rank").asInt());
    assertEquals(4 * 256, lora.get("tokens_per_step").asInt(), "batch 4 × 256");
    JsonNode half = lora.get("float16");
    JsonNode full = lora.get("float32");
    // the same shape: the F16 base is exactly half the bytes of the F32 one, the adapters the same
    assertEquals(full.get("base_bytes").asLong(), 2 * half.get("base_bytes").asLong());
    assertEquals(full.get("adapter_parameters").asLong(), half.get("adapter_parameters").asLong());
    assertTrue(half.get("adapter_parameters").asLong() > 0);
    for (JsonNode r : new JsonNode[] {half, full}) {
      assertTrue(r.get("tokens_per_s").asDouble() > 0, r.toString());
      assertTrue(
          r.get("peak_rss_mb").asDouble() >= r.get("rss_before_mb").asDouble(), r.toString());
      assertEquals(1, r.get("step").get("seconds").size(), "the timed step (after a warm-up)");
    }
    assertEquals(
        half.get("tokens_per_s").asDouble() / full.get("tokens_per_s").asDouble(),
        lora.get("float16_over_float32_tokens_per_s").asDouble(),
        1e-9);
    String md = Files.readString(tmp.resolve("latest.md"));
    assertTrue(md.contains("LoRA r=16 train step, D²O, batch 4 × 256, base float16"), md);
    assertTrue(md.contains("LoRA r=16 train step, D²O, batch 4 × 256, base float32"), md);
    assertTrue(md.contains("widened to F32"), md);
  }
}
