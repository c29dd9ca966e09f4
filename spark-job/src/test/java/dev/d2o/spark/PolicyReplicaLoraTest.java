package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.testing.TinyModels;
import dev.d2o.train.LossConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With LoRA an executor JVM holds one copy of the base: the policy replica is the cached reference
 * plus adapters.
 */
class PolicyReplicaLoraTest {
  @TempDir Path tmp;

  @AfterEach
  void clear() {
    ModelCache.clear();
  }

  @Test
  void theLoraReplicaSharesTheReferenceWeightsAndAddsOnlyAdapters() throws Exception {
    // 4 layers, width 512, MLP 2048: 16.9 M parameters, 68 MB in fp32 (large enough to see in the
    // RSS)
    Path dir =
        TinyModels.writeRandom(
            TinyModels.config(
                "{\"model_type\":\"llama\",\"vocab_size\":260,"
                    + "\"hidden_size\":512,\"intermediate_size\":2048,\"num_hidden_layers\":4,\"num_attention_heads\":8,"
                    + "\"num_key_value_heads\":8,\"max_position_embeddings\":64,\"eos_token_id\":256}"),
            1,
            tmp.resolve("m"));
    String path = dir.toString();
    Configuration conf = new Configuration();
    LossConfig loss = LossConfig.of("d2o", 0.1, 0.1, 2);
    LoraConfig lora = LoraConfig.of(8, 16, 0, "auto");

    long rss0 = rss();
    Pretrained reference = ModelCache.get("reference", path, conf);
    long rss1 = rss();
    PolicyReplica withLora = PolicyReplica.of(path, lora, loss, 2, conf, "cpu");
    long rss2 = rss();

    assertSame(
        reference.model(), withLora.model().base(), "the policy's base is the cached reference");
    for (String name : reference.model().parameters().keySet()) {
      assertSame(
          reference.model().param(name), withLora.model().param(name), name + " is one array");
    }
    assertEquals(1, ModelCache.loads("reference", path));
    assertEquals(0, ModelCache.loads("policy", path), "no second copy of the base was loaded");
    Set<NDArray> held = Collections.newSetFromMap(new IdentityHashMap<>());
    held.addAll(reference.model().parameters().values());
    held.addAll(withLora.model().parameters().values());
    held.addAll(withLora.model().trainableParameters().values());
    long floats = held.stream().mapToLong(NDArray::size).sum();
    long baseFloats = reference.model().config().parameterCount();
    long adapterFloats = withLora.model().adapters().size();
    assertEquals(baseFloats + adapterFloats, floats, "loaded: one base plus the adapters");

    PolicyReplica full = PolicyReplica.of(path, loss, 2, conf); // full fine-tuning: its own copy
    long rss3 = rss();
    assertNotSame(
        reference.model().param("model.norm.weight"), full.model().param("model.norm.weight"));
    assertEquals(1, ModelCache.loads("policy", path));

    double mb = 1 << 20;
    System.out.printf(
        "base %.1f MB (%d floats), adapters %.2f MB (%d floats); off-heap RSS (RSS − committed heap):"
            + " reference load %+.1f MB, LoRA policy replica %+.1f MB, full policy replica %+.1f MB%n",
        baseFloats * 4 / mb,
        baseFloats,
        adapterFloats * 4 / mb,
        adapterFloats,
        (rss1 - rss0) / mb,
        (rss2 - rss1) / mb,
        (rss3 - rss2) / mb);
    assertTrue(rss2 - rss1 < baseFloats, "the LoRA replica costs far less than a base copy");
    assertTrue(rss3 - rss2 > baseFloats * 4 / 2, "a full replica costs about one more base copy");
  }

  /**
   * Resident set size of this process less the committed Java heap (from /proc): native memory,
   * where the weight tensors live, without the heap's growing and shrinking around garbage
   * collections.
   */
  static long rss() throws IOException {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024
            - Runtime.getRuntime().totalMemory();
      }
    }
    throw new IOException("no VmRSS in /proc/self/status");
  }
}
