package dev.d2o.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.infer.GenerationBench;
import dev.d2o.model.ModelConfig;
import java.util.List;

/** A named model shape that the benchmarks build with random weights. */
public record BenchShape(String name, String description, ModelConfig config) {
  /** The shape names {@link #of} knows. */
  public static final List<String> NAMES = List.of("tiny", "gpt2-124m", "llama-100m");

  /** The shape called {@code name}; an unknown name lists the known ones. */
  public static BenchShape of(String name) {
    ObjectNode n = new ObjectMapper().createObjectNode();
    switch (name) {
      case "tiny" -> {
        n.put("model_type", "llama")
            .put("vocab_size", 258)
            .put("hidden_size", 64)
            .put("intermediate_size", 168)
            .put("num_hidden_layers", 2)
            .put("num_attention_heads", 4)
            .put("num_key_value_heads", 2)
            .put("max_position_embeddings", 512)
            .put("tie_word_embeddings", true)
            .put("bos_token_id", 257)
            .put("eos_token_id", 256);
        return new BenchShape(
            name, "llama, 2 layers, 64 wide, 4 heads (2 KV), vocabulary 258", config(n, name));
      }
      case "gpt2-124m" -> {
        return new BenchShape(
            name,
            "gpt2, 12 layers, 768 wide, 12 heads, vocabulary 50257, 1024 positions",
            GenerationBench.gpt2Small());
      }
      case "llama-100m" -> {
        // a Llama shape scaled to ~100M parameters: GQA with 3 query heads per KV head, SwiGLU 768
        // → 2048, tied head
        n.put("model_type", "llama")
            .put("vocab_size", 32000)
            .put("hidden_size", 768)
            .put("intermediate_size", 2048)
            .put("num_hidden_layers", 12)
            .put("num_attention_heads", 12)
            .put("num_key_value_heads", 4)
            .put("max_position_embeddings", 2048)
            .put("tie_word_embeddings", true)
            .put("bos_token_id", 1)
            .put("eos_token_id", 2);
        return new BenchShape(
            name,
            "llama, 12 layers, 768 wide, 12 heads (4 KV), SwiGLU 2048, vocabulary 32000",
            config(n, name));
      }
      default ->
          throw new IllegalArgumentException(
              "unknown shape '" + name + "'; known: " + String.join(", ", NAMES));
    }
  }

  private static ModelConfig config(ObjectNode n, String name) {
    return ModelConfig.fromJson(n, name + "-shape");
  }

  /** Parameter count (tied heads once). */
  public long parameters() {
    return config.parameterCount();
  }
}
