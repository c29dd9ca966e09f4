package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.testing.TinyModels;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streamed outputs (issue 15, item 5): sharded safetensors as save_pretrained writes them, the
 * reader reads what the writer writes, a LoRA merge streamed tensor by tensor in the base's dtype,
 * and random weights streamed without a model in memory.
 */
class ModelWriterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void shardsAndTheirIndexReadBackExactly() throws Exception {
    Path src = TinyModels.writeRandom(TinyModels.llama(), 3, tmp.resolve("src"));
    Path out = tmp.resolve("sharded");
    try (NDManager m = NDManager.newBaseManager();
        Pretrained a = Pretrained.load(src, m)) {
      ModelWriter.save(a.model(), out, src, WeightType.FLOAT32, 40_000);
      List<String> files;
      try (Stream<Path> s = Files.list(out)) {
        files = s.map(p -> p.getFileName().toString()).sorted().toList();
      }
      JsonNode index = JSON.readTree(out.resolve(SafeTensorsShards.INDEX).toFile());
      int shards =
          (int)
              files.stream().filter(f -> f.matches("model-\\d{5}-of-\\d{5}\\.safetensors")).count();
      assertTrue(shards > 2, "several shards: " + files);
      assertTrue(files.contains(String.format("model-%05d-of-%05d.safetensors", shards, shards)));
      assertFalse(files.contains("model.safetensors"));
      assertEquals(
          a.model().config().parameterCount() * 4, index.at("/metadata/total_size").asLong());
      assertEquals(a.model().parameters().size(), index.get("weight_map").size());
      try (Pretrained b = Pretrained.load(out, m)) {
        for (String k : a.model().parameters().keySet()) {
          assertArrayEquals(
              a.model().param(k).toFloatArray(), b.model().param(k).toFloatArray(), k);
        }
      }
      // saved again in one shard: the old shards and index are removed
      ModelWriter.save(a.model(), out, src, WeightType.FLOAT32, SafeTensorsShards.MAX_SHARD_BYTES);
      try (Stream<Path> s = Files.list(out)) {
        assertEquals(
            List.of("config.json", "model.safetensors", "tokenizer.json"),
            s.map(p -> p.getFileName().toString()).sorted().toList());
      }
    }
  }

  @Test
  void aTensorLargerThanTheShardLimitGetsAShardAlone() {
    List<SafeTensorsShards.Tensor> t =
        List.of(
            new SafeTensorsShards.Tensor("a", DType.F32, new long[] {10}),
            new SafeTensorsShards.Tensor("big", DType.F32, new long[] {100}),
            new SafeTensorsShards.Tensor("b", DType.F32, new long[] {10}),
            new SafeTensorsShards.Tensor("c", DType.F32, new long[] {10}));
    List<List<SafeTensorsShards.Tensor>> plan = SafeTensorsShards.plan(t, 100);
    assertEquals(
        List.of(List.of("a"), List.of("big"), List.of("b", "c")),
        plan.stream().map(s -> s.stream().map(SafeTensorsShards.Tensor::name).toList()).toList());
  }

  /**
   * A LoRA merge streamed from an F16 checkpoint: adapted projections are W + (α/r)·B·A rounded to
   * F16 as PyTorch rounds, every other tensor is the base's bytes, and the result stays F16.
   */
  @Test
  void mergedStreamKeepsTheBasesDtype() throws Exception {
    Path base = tmp.resolve("base16");
    RandomWeights.write(TinyModels.llama(), 5, WeightType.FLOAT16, base, 30_000);
    Path out = tmp.resolve("merged");
    LoraConfig lora = LoraConfig.of(4, 8, 0, "auto");
    try (NDManager m = NDManager.newBaseManager();
        LoraAdapters adapters = adapters(TinyModels.llama(), lora, m)) {
      ModelWriter.saveMerged(base, adapters, out, 30_000, m);
      assertEquals(
          "float16",
          JSON.readTree(out.resolve("config.json").toFile()).get("torch_dtype").asText());
      try (Pretrained b = Pretrained.load(base, m, LoadOptions.of("float32"));
          Pretrained merged = Pretrained.load(out, m, LoadOptions.of("float16"));
          CheckpointFiles files = CheckpointFiles.of(out, b.model().config())) {
        int adapted = 0;
        for (String k : b.model().parameters().keySet()) {
          assertEquals(DType.F16, files.entry(k).dtype(), k);
          NDArray want =
              adapters.adapts(k)
                  ? adapters.mergedWeight(k, b.model().param(k)).toType(DataType.FLOAT16, false)
                  : b.model().param(k).toType(DataType.FLOAT16, false);
          adapted += adapters.adapts(k) ? 1 : 0;
          assertEquals(
              ByteBuffer.wrap(want.toByteArray()),
              ByteBuffer.wrap(merged.model().param(k).toByteArray()),
              k);
        }
        assertEquals(8, adapted, "q, k, v, o of two layers");
      }
    }
  }

  /** The F32 values of a streamed random model are CausalLM.random's, byte for byte. */
  @Test
  void randomWeightsStreamAsCausalLmRandomDraws() throws Exception {
    Path streamed = tmp.resolve("streamed");
    RandomWeights.write(
        TinyModels.gemma2(), 9, WeightType.FLOAT32, streamed, SafeTensorsShards.MAX_SHARD_BYTES);
    Path saved = tmp.resolve("saved");
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = CausalLM.random(TinyModels.gemma2(), 9, m)) {
      Pretrained.save(model, saved, null);
    }
    assertArrayEquals(
        Files.readAllBytes(saved.resolve("model.safetensors")),
        Files.readAllBytes(streamed.resolve("model.safetensors")));
  }

  /**
   * The synthetic tokenizer covers the vocabulary exactly and encodes text in multi-byte tokens.
   */
  @Test
  void syntheticTokenizerCoversTheVocabulary() throws Exception {
    Path dir = tmp.resolve("tok");
    RandomWeights.write(
        TinyModels.llama(), 1, WeightType.FLOAT16, dir, SafeTensorsShards.MAX_SHARD_BYTES);
    ModelConfig config = ModelConfig.load(dir);
    ByteLevelBpe bpe = ByteLevelBpe.synthetic(config.vocabSize(), List.of("<|endoftext|>", "<s>"));
    assertEquals(config.vocabSize(), bpe.vocabSize());
    ByteLevelBpe.synthetic(5000, List.of("<a>", "<b>")).write(dir.resolve("tokenizer.json"));
    JsonNode tok = JSON.readTree(dir.resolve("tokenizer.json").toFile());
    assertEquals(4998, tok.at("/model/vocab").size());
    assertEquals(4742, tok.at("/model/merges").size());
    ObjectMapper om = new ObjectMapper();
    com.fasterxml.jackson.databind.node.ObjectNode cfg =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            om.readTree(dir.resolve("config.json").toFile());
    cfg.put("vocab_size", 5000).put("bos_token_id", 4999).put("eos_token_id", 4998);
    try (TextTokenizer t = TextTokenizer.load(dir, ModelConfig.fromJson(cfg, "synthetic"))) {
      assertEquals(5000, t.vocabularySize());
      int[] ids = t.encode("the cat sat on 42 mats.");
      assertTrue(ids.length < "the cat sat on 42 mats.".length(), "merges apply: " + ids.length);
      assertTrue(java.util.Arrays.stream(ids).allMatch(i -> i < 5000));
      assertEquals("the cat sat on 42 mats.", t.decode(ids).trim());
    }
  }

  private static LoraAdapters adapters(ModelConfig config, LoraConfig lora, NDManager m) {
    Map<String, ai.djl.ndarray.types.Shape> shapes = lora.shapes(config);
    Random r = new Random(2);
    List<String> names = new ArrayList<>(shapes.keySet());
    float[][] w = new float[names.size()][];
    for (int i = 0; i < w.length; i++) {
      w[i] = new float[(int) shapes.get(names.get(i)).size()];
      for (int j = 0; j < w[i].length; j++) {
        w[i][j] = (float) (r.nextGaussian() * 0.1);
      }
    }
    return LoraAdapters.fromWeights(config, lora, names, w, m);
  }
}
