package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading and saving model directories, and the errors a user meets with broken ones. */
class PretrainedTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void saveThenLoadGivesIdenticalLogitsForEachFamily() throws Exception {
    for (ModelConfig config : TinyModels.all()) {
      Path a = TinyModels.writeRandom(config, 3, tmp.resolve(config.modelType() + "-a"));
      Path b = tmp.resolve(config.modelType() + "-b");
      try (NDManager m = NDManager.newBaseManager();
          Pretrained first = Pretrained.load(a, m)) {
        Pretrained.save(first.model(), b, a);
        try (Pretrained second = Pretrained.load(b, m)) {
          assertTrue(Files.isRegularFile(b.resolve("tokenizer.json")), "tokenizer copied");
          int[] ids = {5, 9, 250, 17, 3, 88, 256};
          float[] x = TinyModels.lastLogits(first.model(), m, ids);
          float[] y = TinyModels.lastLogits(second.model(), m, ids);
          for (int i = 0; i < x.length; i++) {
            assertEquals(x[i], y[i], 0f, config.modelType() + " logit " + i); // bit-identical
          }
        }
      }
    }
  }

  @Test
  void gpt2IsSavedAsSavePretrainedWritesIt() throws Exception {
    Path dir = TinyModels.writeRandom(TinyModels.gpt2(), 3, tmp.resolve("g"));
    try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve("model.safetensors"))) {
      assertTrue(f.entries().containsKey("transformer.wte.weight"));
      assertFalse(f.entries().containsKey("lm_head.weight"), "tied head stored once");
      assertEquals("pt", f.metadata().get("format"), "transformers requires format=pt");
    }
    assertEquals(
        "float32", JSON.readTree(dir.resolve("config.json").toFile()).get("torch_dtype").asText());
  }

  @Test
  void missingConfigWeightsOrTokenizerAreNamed() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("empty"));
    try (NDManager m = NDManager.newBaseManager()) {
      ModelException e = assertThrows(ModelException.class, () -> Pretrained.load(empty, m));
      assertEquals(
          "missing config.json in model directory "
              + empty
              + " (a Hugging Face model directory needs"
              + " config.json, model.safetensors and tokenizer.json)",
          e.getMessage());

      Path noWeights = TinyModels.writeRandom(TinyModels.gpt2(), 1, tmp.resolve("nw"));
      Files.delete(noWeights.resolve("model.safetensors"));
      e = assertThrows(ModelException.class, () -> Pretrained.load(noWeights, m));
      assertEquals(
          "missing weights in model directory "
              + noWeights
              + ": expected model.safetensors or model.safetensors.index.json",
          e.getMessage());

      Path noTok = TinyModels.writeRandom(TinyModels.gpt2(), 1, tmp.resolve("nt"));
      Files.delete(noTok.resolve("tokenizer.json"));
      try (Pretrained p = Pretrained.load(noTok, m)) {
        e = assertThrows(ModelException.class, p::tokenizer);
        assertEquals(
            "missing tokenizer.json in model directory "
                + noTok
                + " (needed to encode text; token-id input needs no tokenizer)",
            e.getMessage());
      }
    }
  }

  @Test
  void pickleCheckpointsAreRefusedWithTheReasonAndTheConversion() throws Exception {
    Path dir = TinyModels.writeRandom(TinyModels.gpt2(), 1, tmp.resolve("pk"));
    Files.delete(dir.resolve("model.safetensors"));
    Files.write(dir.resolve("pytorch_model.bin"), new byte[] {(byte) 0x80, 2});
    try (NDManager m = NDManager.newBaseManager()) {
      ModelException e = assertThrows(ModelException.class, () -> Pretrained.load(dir, m));
      assertTrue(
          e.getMessage()
              .contains(
                  "holds only pickle checkpoints [pytorch_model.bin], which are refused:"
                      + " unpickling can execute arbitrary code"),
          e.getMessage());
      assertTrue(
          e.getMessage().contains("save_pretrained(out, safe_serialization=True)"), e.getMessage());
    }
  }

  @Test
  void unknownModelTypeListsTheSupportedOnes() throws Exception {
    Path dir = TinyModels.writeRandom(TinyModels.gpt2(), 1, tmp.resolve("u"));
    ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
    cfg.put("model_type", "mamba");
    JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
    try (NDManager m = NDManager.newBaseManager()) {
      ModelException e = assertThrows(ModelException.class, () -> Pretrained.load(dir, m));
      assertEquals(
          "unknown model_type 'mamba' in "
              + dir.resolve("config.json")
              + "; supported model types: gpt2, llama, mistral, qwen2, qwen3, gemma2",
          e.getMessage());
    }
  }

  @Test
  void missingOrMisshapenTensorIsNamedWithBothShapes() throws Exception {
    Path dir = TinyModels.writeRandom(TinyModels.llama(), 1, tmp.resolve("t"));
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, ai.djl.ndarray.NDArray> tensors = new LinkedHashMap<>();
      try (Pretrained p = Pretrained.load(dir, m)) {
        p.model().parameters().forEach((k, v) -> tensors.put(k, keep(v, m)));
      }
      tensors.remove("model.layers.1.mlp.up_proj.weight");
      rewrite(dir, tensors);
      ModelException e = assertThrows(ModelException.class, () -> Pretrained.load(dir, m));
      assertEquals(
          "missing tensor 'model.layers.1.mlp.up_proj.weight' (expected shape (64, 32)) in the checkpoint"
              + " of llama",
          e.getMessage());

      tensors.put(
          "model.layers.1.mlp.up_proj.weight", m.zeros(new ai.djl.ndarray.types.Shape(32, 64)));
      rewrite(dir, tensors);
      e = assertThrows(ModelException.class, () -> Pretrained.load(dir, m));
      assertEquals(
          "tensor 'model.layers.1.mlp.up_proj.weight' in "
              + dir.resolve("model.safetensors")
              + " has shape (32, 64); expected (64, 32) for llama",
          e.getMessage());
    }
  }

  @Test
  void tokenizerLargerThanTheModelVocabularyIsRefused() throws Exception {
    Path dir = TinyModels.writeRandom(TinyModels.gpt2(), 1, tmp.resolve("v"));
    ByteLevelBpe.bytesOnly(List.of("<|endoftext|>", "<s>", "a", "b", "c", "d", "e"))
        .write(dir.resolve("tokenizer.json"));
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(dir, m)) {
      ModelException e = assertThrows(ModelException.class, p::tokenizer);
      assertEquals(
          "tokenizer "
              + dir.resolve("tokenizer.json")
              + " has 263 tokens but the model's vocab_size is"
              + " 260: the tokenizer does not belong to this model",
          e.getMessage());
    }
  }

  @Test
  void shardedCheckpointLoadsThroughItsIndex() throws Exception {
    Path dir = TinyModels.writeRandom(TinyModels.llama(), 4, tmp.resolve("s"));
    Path ref = tmp.resolve("s-ref");
    Files.createDirectories(ref);
    Files.copy(dir.resolve("model.safetensors"), ref.resolve("model.safetensors"));
    Files.copy(dir.resolve("config.json"), ref.resolve("config.json"));
    try (NDManager m = NDManager.newBaseManager()) {
      Map<String, ai.djl.ndarray.NDArray> a = new LinkedHashMap<>();
      Map<String, ai.djl.ndarray.NDArray> b = new LinkedHashMap<>();
      ObjectNode index = JSON.createObjectNode();
      ObjectNode map = index.putObject("weight_map");
      try (Pretrained p = Pretrained.load(dir, m)) {
        int i = 0;
        for (var e : p.model().parameters().entrySet()) {
          (i++ % 2 == 0 ? a : b).put(e.getKey(), keep(e.getValue(), m));
          map.put(
              e.getKey(),
              (i % 2 == 1 ? "model-00001-of-00002" : "model-00002-of-00002") + ".safetensors");
        }
      }
      Files.delete(dir.resolve("model.safetensors"));
      write(dir.resolve("model-00001-of-00002.safetensors"), a);
      write(dir.resolve("model-00002-of-00002.safetensors"), b);
      JSON.writeValue(dir.resolve("model.safetensors.index.json").toFile(), index);
      try (Pretrained sharded = Pretrained.load(dir, m);
          Pretrained single = Pretrained.load(ref, m)) {
        var req = List.of(new ScoreRequest("r", new int[] {1, 2, 3}, new int[] {4, 5}));
        assertEquals(
            new SequenceScorer(single.model(), 1, LengthPolicy.FAIL).score(req).get(0).logp(),
            new SequenceScorer(sharded.model(), 1, LengthPolicy.FAIL).score(req).get(0).logp(),
            0.0);
      }
    }
  }

  /** A copy of {@code v} that outlives the model it came from. */
  private static ai.djl.ndarray.NDArray keep(ai.djl.ndarray.NDArray v, NDManager m) {
    ai.djl.ndarray.NDArray d = v.duplicate();
    d.attach(m);
    return d;
  }

  private static void rewrite(Path dir, Map<String, ai.djl.ndarray.NDArray> tensors)
      throws Exception {
    write(dir.resolve("model.safetensors"), tensors);
  }

  private static void write(Path file, Map<String, ai.djl.ndarray.NDArray> tensors)
      throws Exception {
    Pretrained.writeAtomically(file, os -> SafeTensorsWriter.write(os, tensors, Map.of()));
  }
}
