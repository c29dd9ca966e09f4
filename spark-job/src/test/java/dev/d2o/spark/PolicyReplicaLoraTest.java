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

  private static final LossConfig LOSS = LossConfig.of("d2o", 0.1, 0.1, 2);
  private static final LoraConfig LORA = LoraConfig.of(8, 16, 0, "auto");

  /** 4 layers, width 512, MLP 2048: 16.9 M parameters, 68 MB in fp32 (large enough for the RSS). */
  private Path model() {
    return TinyModels.writeRandom(
        TinyModels.config(
            "{\"model_type\":\"llama\",\"vocab_size\":260,"
                + "\"hidden_size\":512,\"intermediate_size\":2048,\"num_hidden_layers\":4,\"num_attention_heads\":8,"
                + "\"num_key_value_heads\":8,\"max_position_embeddings\":64,\"eos_token_id\":256}"),
        1,
        tmp.resolve("m"));
  }

  private static ModelSpec frozen(String path, String dtype) {
    return new ModelSpec(path, dtype, "cpu", 0, false);
  }

  @Test
  void theLoraReplicaSharesTheReferenceWeightsAndAddsOnlyAdapters() throws Exception {
    String path = model().toString();
    Configuration conf = new Configuration();
    ModelSpec referenceSpec = frozen(path, "auto");
    ModelSpec policySpec = new ModelSpec(path, "float32", "cpu", 0, true);

    long rss0 = rss();
    Pretrained reference = ModelCache.get(referenceSpec, conf);
    long rss1 = rss();
    PolicyReplica withLora =
        PolicyReplica.of(new PolicyReplica.Recipe(referenceSpec, LORA, LOSS, 2, 0, null), conf);
    long rss2 = rss();

    assertSame(
        reference.model(), withLora.model().base(), "the policy's base is the cached reference");
    for (String name : reference.model().parameters().keySet()) {
      assertSame(
          reference.model().param(name), withLora.model().param(name), name + " is one array");
    }
    assertEquals(1, ModelCache.loads(referenceSpec));
    assertEquals(0, ModelCache.loads(policySpec), "no second copy of the base was loaded");
    Set<NDArray> held = Collections.newSetFromMap(new IdentityHashMap<>());
    held.addAll(reference.model().parameters().values());
    held.addAll(withLora.model().parameters().values());
    held.addAll(withLora.model().trainableParameters().values());
    long floats = held.stream().mapToLong(NDArray::size).sum();
    long baseFloats = reference.model().config().parameterCount();
    long adapterFloats = withLora.model().adapters().size();
    assertEquals(baseFloats + adapterFloats, floats, "loaded: one base plus the adapters");

    PolicyReplica full = // full fine-tuning: its own copy
        PolicyReplica.of(new PolicyReplica.Recipe(policySpec, null, LOSS, 2, 0, null), conf);
    long rss3 = rss();
    assertNotSame(
        reference.model().param("model.norm.weight"), full.model().param("model.norm.weight"));
    assertEquals(1, ModelCache.loads(policySpec));

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
   * A frozen base stored in F16 ({@code model.dtype = float16}) holds 2 bytes per parameter (the
   * weights' arrays as the engine holds them; the RSS change is printed, not asserted, since it
   * moves with the heap and the allocator), and a LoRA replica on it shares those arrays.
   */
  @Test
  void aHalfPrecisionBaseHoldsTwoBytesPerParameter() throws Exception {
    String path = model().toString();
    Configuration conf = new Configuration();
    long rss0 = rss();
    Pretrained half = ModelCache.get(frozen(path, "float16"), conf);
    long rss1 = rss();
    PolicyReplica lora =
        PolicyReplica.of(
            new PolicyReplica.Recipe(frozen(path, "float16"), LORA, LOSS, 2, 0, null), conf);
    long params = half.model().config().parameterCount();
    assertEquals(2 * params, heldBytes(half), "F16 base: 2 bytes per parameter");
    assertSame(
        half.model().param("model.norm.weight"), lora.model().base().param("model.norm.weight"));
    ModelCache.release(frozen(path, "float16"));
    long rss2 = rss();
    Pretrained full = ModelCache.get(frozen(path, "float32"), conf);
    long rss3 = rss();
    assertEquals(4 * params, heldBytes(full), "F32 base: 4 bytes per parameter");
    System.out.printf(
        "frozen base RSS change: %.2f bytes/parameter in F16, %.2f in F32%n",
        (rss1 - rss0) / (double) params, (rss3 - rss2) / (double) params);
    assertTrue(!ModelCache.holds(frozen(path, "float16")), "released");
    assertTrue(ModelCache.holds(frozen(path, "float32")));
  }

  private static long heldBytes(Pretrained p) {
    long n = 0;
    for (NDArray a : p.model().parameters().values()) {
      n += a.size() * a.getDataType().getNumOfBytes();
    }
    return n;
  }

  /**
   * The cache holds at most two models: a third closes the least recently used one, and the
   * replicas built on a closed model go with it.
   */
  @Test
  void theCacheIsBoundedAndDropsReplicasOfWhatItCloses() {
    String path = model().toString();
    Configuration conf = new Configuration();
    ModelSpec a = frozen(path, "float32");
    ModelSpec b = frozen(path, "float16");
    ModelSpec c = new ModelSpec(path, "float32", "cpu", 0, true);
    PolicyReplica onA = PolicyReplica.of(new PolicyReplica.Recipe(a, LORA, LOSS, 2, 0, null), conf);
    ModelCache.get(b, conf);
    ModelCache.get(a, conf); // a is now the most recently used
    ModelCache.get(c, conf); // closes b
    assertTrue(ModelCache.holds(a) && ModelCache.holds(c) && !ModelCache.holds(b));
    ModelCache.get(b, conf); // closes a, and the replica on it
    assertTrue(!ModelCache.holds(a));
    PolicyReplica again =
        PolicyReplica.of(new PolicyReplica.Recipe(a, LORA, LOSS, 2, 0, null), conf);
    assertNotSame(onA, again, "a new replica on a fresh copy of the base");
    assertEquals(2, ModelCache.loads(a));
    assertTrue(ModelCache.CAPACITY == 2);
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
