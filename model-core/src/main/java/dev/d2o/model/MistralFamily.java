package dev.d2o.model;

import java.util.Collections;
import java.util.List;

/**
 * Mistral (Jiang et al. 2023) as Hugging Face's {@code MistralForCausalLM} ({@code
 * modeling_mistral.py}): the Llama forward pass with a sliding attention window of {@code
 * sliding_window} tokens on every layer (none when the key is null or absent).
 */
final class MistralFamily extends LlamaFamily {
  @Override
  public String modelType() {
    return "mistral";
  }

  @Override
  List<Integer> windows(ConfigKeys k, int layers) {
    return Collections.nCopies(layers, k.positive("sliding_window", 0));
  }
}
