package dev.d2o.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.infer.GenerationBench;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.ModelFamilies;
import dev.d2o.model.ModelFamily.Size;
import java.util.List;

/** A named model shape that the benchmarks build with random weights. */
public record BenchShape(String name, String description, ModelConfig config) {
  /** The shape names {@link #of} knows. */
  public static final List<String> NAMES =
      List.of("tiny", "gpt2-124m", "llama-100m", "llama3-1b", "llama3-8b-embed");

  /** Llama 3's vocabulary: 128000 BPE tokens and 256 special ones from id 128000 on. */
  public static final int LLAMA3_VOCAB = 128256;

  /** {@code <|begin_of_text|>} and {@code <|end_of_text|>} of Llama 3. */
  public static final int LLAMA3_BOS = 128000;

  public static final int LLAMA3_EOS = 128001;

  /** The shape called {@code name}; an unknown name lists the known ones. */
  public static BenchShape of(String name) {
    return switch (name) {
      case "tiny" ->
          new BenchShape(
              name,
              "llama, 2 layers, 64 wide, 4 heads (2 KV), vocabulary 258",
              llama(Size.of(64, 2, 4, 512), 258, 257, 256));
      case "gpt2-124m" ->
          new BenchShape(
              name,
              "gpt2, 12 layers, 768 wide, 12 heads, vocabulary 50257, 1024 positions",
              GenerationBench.gpt2Small());
      case "llama-100m" ->
          // a Llama shape scaled to ~100M parameters: GQA with 3 query heads per KV head, SwiGLU
          // 768 → 2048, tied head
          new BenchShape(
              name,
              "llama, 12 layers, 768 wide, 12 heads (4 KV), SwiGLU 2048, vocabulary 32000",
              llama(new Size(768, 12, 12, 4, 2048, 2048), 32000, 1, 2));
      case "llama3-1b" ->
          new BenchShape(
              name,
              "Llama-3.2-1B's shape: llama, 16 layers, 2048 wide, 32 heads (8 KV), SwiGLU 8192,"
                  + " vocabulary 128256, untied head",
              llama3(2048, 16, 32, 8, 8192, false));
      case "llama3-8b-embed" ->
          new BenchShape(
              name,
              "one block of Llama-3-8B's shape (4096 wide, 32 heads (8 KV), SwiGLU 14336) with its"
                  + " full 128256 × 4096 embedding and head (2.1 GB each in F32)",
              llama3(4096, 1, 32, 8, 14336, false));
      default ->
          throw new IllegalArgumentException(
              "unknown shape '" + name + "'; known: " + String.join(", ", NAMES));
    };
  }

  /**
   * A Llama 3 config as Meta's {@code config.json} files write it (rope θ 500000, the {@code
   * llama3} rope scaling of Llama 3.2, RMS ε 1e-5) with the given sizes.
   */
  private static ModelConfig llama3(
      int hidden, int layers, int heads, int kvHeads, int inner, boolean tied) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    n.put("model_type", "llama")
        .put("vocab_size", LLAMA3_VOCAB)
        .put("hidden_size", hidden)
        .put("intermediate_size", inner)
        .put("num_hidden_layers", layers)
        .put("num_attention_heads", heads)
        .put("num_key_value_heads", kvHeads)
        .put("head_dim", hidden / heads)
        .put("max_position_embeddings", 131072)
        .put("rms_norm_eps", 1e-5)
        .put("rope_theta", 500000.0)
        .put("hidden_act", "silu")
        .put("tie_word_embeddings", tied)
        .put("bos_token_id", LLAMA3_BOS)
        .put("eos_token_id", LLAMA3_EOS);
    n.putObject("rope_scaling")
        .put("rope_type", "llama3")
        .put("factor", 32.0)
        .put("low_freq_factor", 1.0)
        .put("high_freq_factor", 4.0)
        .put("original_max_position_embeddings", 8192);
    return ModelConfig.fromJson(n, "llama3 shape");
  }

  private static ModelConfig llama(Size size, int vocab, int bos, int eos) {
    return ModelFamilies.get("llama").config(size, vocab, bos, eos);
  }

  /** Parameter count (tied heads once). */
  public long parameters() {
    return config.parameterCount();
  }
}
