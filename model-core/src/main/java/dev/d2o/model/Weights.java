package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.SparseFormat;

/**
 * The weights of one group of a model (its embedding, one layer, its head) under the group's name
 * prefix, with the projections a forward pass applies to them: nn.Linear, GPT-2's Conv1D (both with
 * the model's LoRA adapters, when it carries them) and the embedding lookup. Forward passes read a
 * layer's weights through this view only, so that where a layer's weights live (a device, a storage
 * precision) can be decided in one place.
 */
final class Weights {
  private final CausalLM model;
  private final String prefix;

  Weights(CausalLM model, String prefix) {
    this.model = model;
    this.prefix = prefix;
  }

  /** The weight {@code prefix + name}. */
  NDArray get(String name) {
    return model.param(prefix + name);
  }

  /** Rows of the embedding {@code name} (V, E) for token ids (B, T): (B, T, E). */
  NDArray embed(String name, NDArray ids) {
    return ids.getNDArrayInternal()
        .embedding(ids, get(name), SparseFormat.DENSE)
        .singletonOrThrow();
  }

  /**
   * nn.Linear {@code module}: x·Wᵀ (+ b when the model declares {@code module.bias}) (+ the adapter
   * update).
   */
  NDArray linear(String module, NDArray x) {
    String path = prefix + module;
    NDArray bias = model.parameters().get(path + ".bias");
    return model.adapted(path, x, CausalLM.linear(x, model.param(path + ".weight"), bias));
  }

  /** GPT-2's Conv1D {@code module}: x·W + b with W stored (in, out) (+ the adapter update). */
  NDArray conv1d(String module, NDArray x) {
    String path = prefix + module;
    NDArray y = x.matMul(model.param(path + ".weight")).add(model.param(path + ".bias"));
    return model.adapted(path, x, y);
  }
}
