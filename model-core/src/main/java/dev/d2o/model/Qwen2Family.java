package dev.d2o.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2 as Hugging Face's {@code Qwen2ForCausalLM} ({@code modeling_qwen2.py}): the Llama forward
 * pass with biases on the q/k/v projections, and sliding windows as {@code Qwen2Config} sets them
 * ({@link #windows}). Qwen's tokenizers add no BOS.
 */
final class Qwen2Family extends LlamaFamily {
  @Override
  public String modelType() {
    return "qwen2";
  }

  @Override
  public boolean addsBosByDefault() {
    return false;
  }

  @Override
  boolean qkvBias(ConfigKeys k, boolean attentionBias) {
    return true;
  }

  @Override
  List<Integer> windows(ConfigKeys k, int layers) {
    return qwenWindows(k, layers);
  }

  /**
   * The attention windows of Qwen2 and Qwen3, as their Hugging Face configs decide: {@code
   * sliding_window} (default 4096; null = none) only when {@code use_sliding_window}; then the
   * layers {@code layer_types} marks {@code sliding_attention}, or when the file has no {@code
   * layer_types}, layers i ≥ {@code max_window_layers} (default 28).
   */
  static List<Integer> qwenWindows(ConfigKeys k, int layers) {
    int w = 0;
    if (k.flag("use_sliding_window", false)) {
      w = k.json().has("sliding_window") ? k.positive("sliding_window", 0) : 4096;
    }
    int firstSliding = k.nonNegative("max_window_layers", 28);
    List<Integer> types = k.layerTypes(layers, w);
    if (types != null) {
      return types;
    }
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < layers; i++) {
      out.add(i >= firstSliding ? w : 0);
    }
    return out;
  }
}
