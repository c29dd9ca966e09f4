package dev.d2o.bench;

import dev.d2o.infer.GenerationBench;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.ModelFamilies;
import dev.d2o.model.ModelFamily.Size;
import java.util.List;

/** A named model shape that the benchmarks build with random weights. */
public record BenchShape(String name, String description, ModelConfig config) {
  /** The shape names {@link #of} knows. */
  public static final List<String> NAMES = List.of("tiny", "gpt2-124m", "llama-100m");

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
      default ->
          throw new IllegalArgumentException(
              "unknown shape '" + name + "'; known: " + String.join(", ", NAMES));
    };
  }

  private static ModelConfig llama(Size size, int vocab, int bos, int eos) {
    return ModelFamilies.get("llama").config(size, vocab, bos, eos);
  }

  /** Parameter count (tied heads once). */
  public long parameters() {
    return config.parameterCount();
  }
}
