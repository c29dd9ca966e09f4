package dev.d2o.testing;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.model.AttentionMask;
import dev.d2o.model.ByteLevelBpe;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.ModelFamilies;
import dev.d2o.model.ModelFamily.Size;
import dev.d2o.model.Pretrained;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Tiny random models of each family for tests (vocabulary 260: 256 bytes, EOS 256, BOS 257, two
 * spare ids).
 */
public final class TinyModels {
  public static final int VOCAB = 260;
  public static final int EOS = 256;
  public static final int BOS = 257;

  private TinyModels() {}

  /** A GPT-2 config: 2 layers, width 32, 4 heads, 64 positions. */
  public static ModelConfig gpt2() {
    return config(
        "{\"model_type\":\"gpt2\",\"vocab_size\":"
            + VOCAB
            + ",\"n_embd\":32,\"n_layer\":2,\"n_head\":4,"
            + "\"n_positions\":64,\"bos_token_id\":"
            + EOS
            + ",\"eos_token_id\":"
            + EOS
            + "}");
  }

  /** A Llama config with grouped-query attention (4 heads, 2 KV heads). */
  public static ModelConfig llama() {
    return config(
        "{\"model_type\":\"llama\",\"vocab_size\":"
            + VOCAB
            + ",\"hidden_size\":32,"
            + "\"intermediate_size\":64,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
            + "\"max_position_embeddings\":64,\"bos_token_id\":"
            + BOS
            + ",\"eos_token_id\":"
            + EOS
            + "}");
  }

  /** A Qwen2 config (q/k/v biases, one KV head, tied head). */
  public static ModelConfig qwen2() {
    return config(
        "{\"model_type\":\"qwen2\",\"vocab_size\":"
            + VOCAB
            + ",\"hidden_size\":32,"
            + "\"intermediate_size\":64,\"num_hidden_layers\":2,\"num_attention_heads\":4,\"num_key_value_heads\":1,"
            + "\"max_position_embeddings\":64,\"tie_word_embeddings\":true,\"eos_token_id\":"
            + EOS
            + "}");
  }

  /**
   * A Qwen3 config from the family's own small config: heads of 16 on a width of 32 (q/k/v 64
   * wide), 2 KV heads, q/k norms, tied head.
   */
  public static ModelConfig qwen3() {
    return ModelFamilies.get("qwen3").config(new Size(32, 2, 4, 2, 64, 64), VOCAB, BOS, EOS);
  }

  /**
   * A Gemma 2 config from the family's own small config: heads of 8, layer 0 attends within 16
   * tokens, soft-capped scores and logits, tied head.
   */
  public static ModelConfig gemma2() {
    return ModelFamilies.get("gemma2").config(new Size(32, 2, 4, 2, 64, 64), VOCAB, BOS, EOS);
  }

  /** One tiny config per forward pass: GPT-2, Llama, Qwen2, Qwen3, Gemma 2. */
  public static List<ModelConfig> all() {
    return List.of(gpt2(), llama(), qwen2(), qwen3(), gemma2());
  }

  /** Parses a config JSON string. */
  public static ModelConfig config(String json) {
    try {
      return ModelConfig.fromJson((ObjectNode) new ObjectMapper().readTree(json), "test config");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Logits (V) at the last position of one unpadded sequence, computed without padding, cache or
   * batching.
   */
  public static float[] lastLogits(CausalLM model, NDManager m, int[] ids) {
    long[] l = new long[ids.length];
    long[] pos = new long[ids.length];
    boolean[][] valid = new boolean[1][ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
      pos[i] = i;
      valid[0][i] = true;
    }
    try (NDManager sub = m.newSubManager()) {
      NDArray idArr = sub.create(l, new Shape(1, ids.length));
      NDArray posArr = sub.create(pos, new Shape(1, ids.length));
      NDArray h =
          model.hidden(
              idArr, posArr, AttentionMask.of(sub, valid, ids.length, model.config()), null);
      return model.logits(h).get("0, -1, :").toFloatArray();
    }
  }

  /**
   * A random model with larger weights than the default init (so log-probs vary), written to {@code
   * dir} in the Hugging Face layout with a byte-level tokenizer.
   */
  public static Path writeRandom(ModelConfig config, long seed, Path dir) {
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = CausalLM.random(config, seed, m)) {
      model.parameters().values().forEach(p -> p.muli(10f)); // std 0.2: far from uniform
      Pretrained.save(model, dir, null);
      ByteLevelBpe.bytesOnly(List.of("<|endoftext|>", "<s>")).write(dir.resolve("tokenizer.json"));
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
