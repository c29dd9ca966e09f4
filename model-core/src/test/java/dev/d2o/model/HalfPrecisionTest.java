package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.ScoreResult;
import dev.d2o.infer.SequenceScorer;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Frozen weights stored in F16 ({@code model.dtype}): 2 bytes per parameter, the same log-probs as
 * the F32 load of the same checkpoint (compute widens each layer to F32), the PyTorch golden values
 * still met, and no BF16 array on the CPU.
 */
class HalfPrecisionTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path GOLDEN = Path.of("src/test/resources/golden");

  @ParameterizedTest
  @ValueSource(
      strings = {"llama-bf16", "mistral-f16", "qwen3-bf16", "gemma2-bf16", "gpt2-bf16-saved"})
  void halfStorageScoresAsF32(String name) throws IOException {
    Path dir = GOLDEN.resolve(name);
    JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
    List<ScoreRequest> reqs = new ArrayList<>();
    for (JsonNode s : golden.get("sequences")) {
      reqs.add(
          new ScoreRequest(
              "s" + reqs.size(), ints(s.get("prompt_ids")), ints(s.get("response_ids"))));
    }
    try (NDManager m = NDManager.newBaseManager();
        Pretrained half = Pretrained.load(dir, m, LoadOptions.of("auto"));
        Pretrained full = Pretrained.load(dir, m, LoadOptions.of("float32"))) {
      assertEquals(WeightType.FLOAT16, half.model().weightType());
      for (NDArray a : half.model().parameters().values()) {
        assertEquals(DataType.FLOAT16, a.getDataType(), "every frozen weight stays F16");
      }
      List<ScoreResult> h = new SequenceScorer(half.model(), 8, LengthPolicy.FAIL).score(reqs);
      List<ScoreResult> f = new SequenceScorer(full.model(), 8, LengthPolicy.FAIL).score(reqs);
      double maxDiff = 0;
      for (int i = 0; i < reqs.size(); i++) {
        double want = golden.get("sequences").get(i).get("logp").asDouble();
        assertEquals(want, h.get(i).logp(), 1e-3, name + " golden " + i);
        maxDiff = Math.max(maxDiff, Math.abs(h.get(i).logp() - f.get(i).logp()));
      }
      // BF16 values below 2^-14 lose bits as F16 subnormals, so the weights differ slightly
      assertTrue(maxDiff < 1e-4, name + ": max |logp(F16) - logp(F32)| = " + maxDiff);
      System.out.printf("half %s: max |delta logp| F16 vs F32 storage = %.2e%n", name, maxDiff);
    }
  }

  /**
   * A decoding step runs its products in F16 (see Weights): its logits stay within 0.3% of the
   * largest logit of a full recompute (which widens to F32; F16 rounds to 2^-11 ≈ 0.05% per
   * product, and the rounding adds up over the layers) and pick the same greedy token. Half-
   * precision inference on a GPU in BF16 rounds 8 times coarser.
   */
  @ParameterizedTest
  @ValueSource(strings = {"llama-bf16", "qwen3-bf16", "gemma2-bf16"})
  void decodingStepInHalfPrecision(String name) {
    long[] ids = {1, 17, 4, 9, 23, 5, 12};
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(GOLDEN.resolve(name), m, LoadOptions.of("float16"));
        NDManager s = m.newSubManager();
        KvCache cache = new KvCache(s, p.model().config().numLayers())) {
      CausalLM model = p.model();
      int n = ids.length;
      boolean[][] all = {new boolean[n]};
      java.util.Arrays.fill(all[0], true);
      NDArray full =
          model.logits(
              model.hidden(
                  s.create(ids).reshape(1, n),
                  s.arange(0, n, 1, DataType.INT64).reshape(1, n),
                  AttentionMask.of(s, all, n, model.config()),
                  null)); // (1, n, V)
      boolean[][] prefix = {java.util.Arrays.copyOf(all[0], n - 1)};
      model.hidden(
          s.create(java.util.Arrays.copyOf(ids, n - 1)).reshape(1, n - 1),
          s.arange(0, n - 1, 1, DataType.INT64).reshape(1, n - 1),
          AttentionMask.of(s, prefix, n - 1, model.config()),
          cache);
      NDArray step =
          model.logits(
              model.hidden(
                  s.create(new long[] {ids[n - 1]}).reshape(1, 1),
                  s.create(new long[] {n - 1}).reshape(1, 1),
                  AttentionMask.of(s, all, 1, model.config()),
                  cache)); // (1, 1, V)
      NDArray last = full.get(":, -1:, :");
      float diff = last.sub(step).abs().max().getFloat();
      float scale = last.abs().max().getFloat();
      assertTrue(diff < 3e-3 * scale, name + ": |decode - recompute| = " + diff + " of " + scale);
      assertEquals(last.argMax().getLong(), step.argMax().getLong());
      System.out.printf(
          "half %s: decoding step in F16, max |delta logit| = %.2e (max |logit| %.2f)%n",
          name, diff, scale);
    }
  }

  /** Blocks of a few bytes load the same tensor as one block (the >2 GiB code path). */
  @Test
  void blockwiseLoadingIsExact() {
    Path dir = GOLDEN.resolve("llama-bf16");
    int saved = TensorLoader.stagingBytes;
    try (NDManager m = NDManager.newBaseManager();
        Pretrained whole = Pretrained.load(dir, m, LoadOptions.of("float16"))) {
      TensorLoader.stagingBytes = 24; // 12 F16 or 6 F32 values per block
      try (Pretrained blocks = Pretrained.load(dir, m, LoadOptions.of("float16"));
          Pretrained f32 = Pretrained.load(dir, m, LoadOptions.of("float32"))) {
        for (String k : whole.model().parameters().keySet()) {
          NDArray a = whole.model().param(k).toType(DataType.FLOAT32, false);
          NDArray b = blocks.model().param(k).toType(DataType.FLOAT32, false);
          assertEquals(0f, a.sub(b).abs().max().getFloat(), k);
          NDArray c = f32.model().param(k);
          assertTrue(a.sub(c).abs().max().getFloat() < 1e-7, k); // subnormal rounding only
        }
      }
    } finally {
      TensorLoader.stagingBytes = saved;
    }
  }

  @Test
  void aValueOutsideF16IsRefusedWithTheTensorsName(@TempDir Path tmp) throws IOException {
    Path dir = copy(GOLDEN.resolve("llama-bf16"), tmp.resolve("m"));
    String tensor = "model.layers.1.mlp.up_proj.weight";
    poke(dir.resolve("model.safetensors"), tensor, 3, (short) 0x47c3); // BF16 of 99840
    try (NDManager m = NDManager.newBaseManager()) {
      ModelException e =
          assertThrows(ModelException.class, () -> Pretrained.load(dir, m, LoadOptions.of("auto")));
      assertTrue(
          e.getMessage().contains("tensor '" + tensor + "'")
              && e.getMessage().contains("99840.0 at element 3")
              && e.getMessage().contains("outside float16's range")
              && e.getMessage().contains("model.dtype = float32"),
          e.getMessage());
      try (Pretrained p = Pretrained.load(dir, m, LoadOptions.of("float32"))) {
        assertEquals(99840f, p.model().param(tensor).toFloatArray()[3]);
      }
    }
  }

  @Test
  void bfloat16IsRefusedOnTheCpu() {
    try (NDManager m = NDManager.newBaseManager()) {
      ModelException e =
          assertThrows(
              ModelException.class,
              () -> Pretrained.load(GOLDEN.resolve("llama-bf16"), m, LoadOptions.of("bfloat16")));
      assertTrue(
          e.getMessage().startsWith("model.dtype = bfloat16 cannot run on cpu()"), e.getMessage());
    }
    assertEquals(WeightType.FLOAT16, WeightType.resolve("auto", "bfloat16", Device.cpu()));
    assertEquals(WeightType.BFLOAT16, WeightType.resolve("auto", "bfloat16", Device.gpu()));
    assertEquals(WeightType.FLOAT32, WeightType.resolve("auto", "float32", Device.cpu()));
    assertEquals(WeightType.FLOAT32, WeightType.resolve("auto", null, Device.cpu()));
    assertEquals(WeightType.FLOAT16, WeightType.resolve("float16", "float32", Device.cpu()));
  }

  /**
   * The guard against JVM aborts: no source file but WeightType (which refuses it on a CPU) names
   * the engine's BF16 type ({@code DataType.BFLOAT16}), so no other path can create a BF16 array.
   */
  @Test
  void onlyWeightTypeNamesTheBf16DataType() throws IOException {
    List<Path> roots = List.of(Path.of("src/main/java"), Path.of("../spark-job/src/main/java"));
    List<String> offenders = new ArrayList<>();
    for (Path root : roots) {
      if (!Files.isDirectory(root)) {
        continue;
      }
      try (Stream<Path> files = Files.walk(root)) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          String text = Files.readString(f);
          boolean names =
              text.matches("(?s).*DataType\\s*\\.\\s*BFLOAT16.*")
                  || text.contains("import static ai.djl.ndarray.types.DataType");
          if (names && !f.getFileName().toString().equals("WeightType.java")) {
            offenders.add(f.toString());
          }
        }
      }
    }
    assertEquals(List.of(), offenders);
  }

  static Path copy(Path from, Path to) throws IOException {
    Files.createDirectories(to);
    try (Stream<Path> s = Files.list(from)) {
      for (Path p : s.toList()) {
        Files.copy(p, to.resolve(p.getFileName()));
      }
    }
    return to;
  }

  /** Overwrites element {@code index} of a 2-byte tensor in a safetensors file. */
  static void poke(Path file, String tensor, long index, short value) throws IOException {
    long begin;
    long dataStart;
    try (SafeTensorsFile f = SafeTensorsFile.open(file)) {
      begin = f.entries().get(tensor).begin();
    }
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      byte[] len = new byte[8];
      raf.readFully(len);
      dataStart =
          8 + java.nio.ByteBuffer.wrap(len).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
      raf.seek(dataStart + begin + 2 * index);
      raf.write(value & 0xff);
      raf.write((value >>> 8) & 0xff);
    }
  }

  private static int[] ints(JsonNode a) {
    int[] out = new int[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).asInt();
    }
    return out;
  }
}
