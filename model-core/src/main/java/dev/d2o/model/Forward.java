package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Runs a family's forward pass piece by piece: the embedding, each decoder layer, the final norm,
 * and the output head. Two things happen between the pieces, for every family alike:
 *
 * <ul>
 *   <li>each layer runs in its own {@link NDScope}: what it creates besides its output (its
 *       intermediate activations, widened half-precision weights) is released when it ends, so a
 *       pass without gradients holds one layer's temporaries at a time. Releasing a wrapper never
 *       frees memory a gradient graph still uses (the graph keeps its own references);
 *   <li>where the next group sits on another stage of the model's {@link Placement}, the
 *       activations are copied there. Such a copy is outside autograd (DJL's {@code toDevice} runs
 *       without gradients), so a staged model refuses a pass that records a graph: training goes
 *       through {@link LayerBackward}, which crosses stages explicitly.
 * </ul>
 */
final class Forward {
  private Forward() {}

  /** Hidden states (B, T, E) after the final norm; see {@link CausalLM#hidden}. */
  static NDArray hidden(
      CausalLM m, NDArray ids, NDArray positions, AttentionMask mask, KvCache cache) {
    ModelFamily family = m.config().family();
    Placement p = m.placement();
    LayerInputs in = inputs(m, ids, positions, mask, cache);
    int stage = p.embeddingStage();
    NDArray x = family.embed(m, ids, positions, in.onStage(stage, p.device(stage))); // (B, T, E)
    for (int i = 0; i < m.config().numLayers(); i++) {
      x = toStage(x, stage, p.layerStage(i), p, m);
      stage = p.layerStage(i);
      NDArray y = layer(m, i, x, in.onStage(stage, p.device(stage)));
      x.close(); // the graph, if any, keeps what it needs
      x = y;
    }
    x = toStage(x, stage, p.headStage(), p, m);
    return family.finalNorm(m, x, in.onStage(p.headStage(), p.device(p.headStage())));
  }

  /** The inputs every layer of a call reads. */
  static LayerInputs inputs(
      CausalLM m, NDArray ids, NDArray positions, AttentionMask mask, KvCache cache) {
    return LayerInputs.of(ids, m.config().family().rope(m.config(), positions), mask, cache);
  }

  /** Layer {@code i} in its own scope: only its output (B, T, E) outlives it. */
  static NDArray layer(CausalLM m, int i, NDArray x, LayerInputs in) {
    NDArray y;
    try (NDScope scope = new NDScope()) {
      y = m.config().family().layer(m, i, x, in);
      NDScope.unregister(y);
    }
    NDScope.register(y); // back in the caller's scope, as if the layer had run there
    return y;
  }

  /** Output logits (B, T, V) of hidden states (B, T, E), on the output weight's stage. */
  static NDArray logits(CausalLM m, NDArray hidden) {
    ModelFamily family = m.config().family();
    String name = family.outputWeight(m.config());
    NDArray w = m.param(name);
    NDArray h = hidden;
    if (!w.getDevice().equals(hidden.getDevice())) {
      refuseGraph(m, m.placement());
      h = hidden.toDevice(w.getDevice(), true); // a tied head on the embedding's device
    }
    LayerInputs in = LayerInputs.of(h.getManager());
    return family.capLogits(m.config(), m.weights("", in).head(name, h)); // (B, T, V)
  }

  /** {@code x} copied to stage {@code to} when it differs from {@code from}. */
  static NDArray toStage(NDArray x, int from, int to, Placement p) {
    return toStage(x, from, to, p, null);
  }

  /**
   * {@code x} copied to stage {@code to} when it differs from {@code from}; refused when {@code
   * model} (when not null) records a gradient graph.
   */
  static NDArray toStage(NDArray x, int from, int to, Placement p, CausalLM model) {
    if (from == to) {
      return x;
    }
    if (model != null) {
      refuseGraph(model, p);
    }
    NDArray moved = x.toDevice(p.device(to), true); // a copy even between equal devices
    x.close();
    return moved;
  }

  /**
   * Refuses a copy between devices while {@code m} records a graph: grad mode is on and a trainable
   * weight asks for gradients. (DJL's {@code hasGradient} is false for every non-leaf array, so the
   * activations themselves cannot tell.)
   */
  private static void refuseGraph(CausalLM m, Placement p) {
    boolean recording =
        JniUtils.isGradMode()
            && m.trainableParameters().values().stream().anyMatch(NDArray::hasGradient);
    if (recording) {
      throw new ModelException(
          "a model placed on several devices ("
              + p
              + ") cannot record one gradient graph across them: DJL copies arrays between"
              + " devices outside autograd. Train it with the layer-by-layer backward"
              + " (GradientComputer does so for staged or half-precision models)");
    }
  }
}
