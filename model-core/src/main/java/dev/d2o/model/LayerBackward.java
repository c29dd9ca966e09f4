package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;

/**
 * The gradient of Σ_b w_b · log π(y_b|x_b) computed layer by layer (activation checkpointing at
 * layer boundaries), for models the joint autograd graph does not suit:
 *
 * <ul>
 *   <li>frozen weights stored in half precision: a joint graph would keep every layer's widened F32
 *       copy until the backward (an F32 model's worth of memory); here a layer's copy lives while
 *       that layer is recomputed and back-propagated, then goes;
 *   <li>weights placed on several devices: DJL copies arrays between devices outside autograd, so
 *       the boundary gradient is carried across explicitly.
 * </ul>
 *
 * <p>{@link #forward} runs the model once without a graph and keeps each layer's input (B, T, E);
 * it yields the sequence log-probs, bit for bit those of scoring. {@link #backward} then, inside a
 * gradient collector, back-propagates the head a slice of the vocabulary at a time (with the
 * log-sum-exp of the forward pass held fixed, ∂/∂z of Σ coef·(z_y − Σ_v e^{z_v − lse}) is coef·(1[v
 * = y] − p_v), the gradient of the log-softmax) and then each layer from its saved input with the
 * gradient of its output, from the last layer to the first. The trainable parameters (LoRA
 * adapters; every weight of a full fine-tuning model) accumulate their gradients as one backward
 * would. The cost is one more forward pass of each layer.
 */
public final class LayerBackward implements AutoCloseable {
  private final CausalLM model;
  private final NDManager manager;
  private final LayerInputs in;
  private final NDArray ids;
  private final NDArray positions;
  private final NDArray[] inputs; // the input of layer i; inputs[L]: of the final norm
  private final NDArray targets;
  private final NDArray responseMask;
  private final int first;
  private final NDArray lse; // (B, T−1−f) on the head's device
  private final float[] sequenceLogps;

  private LayerBackward(
      CausalLM model,
      NDManager manager,
      LayerInputs in,
      NDArray ids,
      NDArray positions,
      NDArray[] inputs,
      NDArray targets,
      NDArray responseMask,
      int first,
      NDArray lse,
      float[] sequenceLogps) {
    this.model = model;
    this.manager = manager;
    this.in = in;
    this.ids = ids;
    this.positions = positions;
    this.inputs = inputs;
    this.targets = targets;
    this.responseMask = responseMask;
    this.first = first;
    this.lse = lse;
    this.sequenceLogps = sequenceLogps;
  }

  /**
   * The graph-free pass over a padded batch (the arguments of scoring: ids and positions (B, T),
   * targets and response mask (B, T−1), the first scored position).
   */
  public static LayerBackward forward(
      CausalLM model,
      NDArray ids,
      NDArray positions,
      AttentionMask mask,
      NDArray targets,
      NDArray responseMask,
      int first) {
    NDManager m = ids.getManager().newSubManager();
    try (NoGrad off = NoGrad.open()) {
      ModelFamily family = model.config().family();
      Placement p = model.placement();
      LayerInputs in = Forward.inputs(model, ids, positions, mask, null);
      int layers = model.config().numLayers();
      NDArray[] inputs = new NDArray[layers + 1];
      int stage = p.embeddingStage();
      NDArray x = family.embed(model, ids, positions, in.onStage(stage, p.device(stage)));
      for (int i = 0; i <= layers; i++) {
        int next = i < layers ? p.layerStage(i) : p.headStage();
        x = Forward.toStage(x, stage, next, p);
        stage = next;
        x.attach(m);
        inputs[i] = x;
        if (i < layers) {
          x = Forward.layer(model, i, x, in.onStage(stage, p.device(stage)));
        }
      }
      LayerInputs head = in.onStage(stage, p.device(stage));
      NDArray tgt = targets.toDevice(p.device(stage), false);
      NDArray msk = responseMask.toDevice(p.device(stage), false);
      float[] seq;
      NDArray lse;
      try (NDScope scope = new NDScope()) { // the logits (B, T', V) go at once
        NDArray hidden = family.finalNorm(model, x, head); // (B, T, E)
        NDArray[] out = new NDArray[1];
        NDArray tokens = TokenLogps.of(model, hidden, tgt, msk, first, out); // (B, T-1)
        seq = tokens.sum(new int[] {1}).toFloatArray(); // (B)
        lse = out[0];
        NDScope.unregister(lse);
      }
      lse.attach(m);
      return new LayerBackward(model, m, in, ids, positions, inputs, tgt, msk, first, lse, seq);
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** The sequence log-probs (B) of the pass, as scoring computes them. */
  public float[] sequenceLogps() {
    return sequenceLogps.clone();
  }

  /**
   * Adds ∇ Σ_b weights[b] · log π(y_b|x_b) to the trainable parameters' gradients; call inside
   * {@code collector}'s scope, once.
   */
  public void backward(float[] weights, GradientCollector collector) {
    Placement p = model.placement();
    NDArray grad = headBackward(weights, collector); // ∂/∂(input of the final norm)
    int stage = p.headStage();
    for (int i = model.config().numLayers() - 1; i >= 0; i--) {
      grad = Forward.toStage(grad, stage, p.layerStage(i), p);
      stage = p.layerStage(i);
      NDArray x = inputs[i];
      x.setRequiresGradient(true);
      NDArray next;
      try (NDScope scope = new NDScope()) {
        NDArray y = model.config().family().layer(model, i, x, in.onStage(stage, p.device(stage)));
        collector.backward(y.mul(grad).sum()); // the vector-Jacobian product with ∂/∂y
        next = x.getGradient();
        NDScope.unregister(next);
      }
      next.attach(manager);
      grad.close();
      x.close(); // its layer is done
      grad = next;
    }
    if (embeddingTrains()) {
      try (NDScope scope = new NDScope()) {
        NDArray e =
            model
                .config()
                .family()
                .embed(model, ids, positions, in.onStage(stage, p.device(stage)));
        collector.backward(e.mul(grad).sum());
      }
    }
    grad.close();
  }

  private NDArray headBackward(float[] weights, GradientCollector collector) {
    ModelFamily family = model.config().family();
    ModelConfig c = model.config();
    int stage = model.placement().headStage();
    LayerInputs head = in.onStage(stage, model.placement().device(stage));
    NDArray x = inputs[inputs.length - 1];
    x.setRequiresGradient(true);
    String window = ":, " + first + ":";
    NDArray coef =
        responseMask
            .get(window)
            .mul(manager.create(weights).toDevice(x.getDevice(), false).expandDims(1)); // (B, T')
    NDArray y = targets.get(window); // (B, T')
    NDArray out = model.param(family.outputWeight(c)); // (V, E)
    long vocab = out.getShape().get(0);
    long rows = Math.max(1, Weights.HEAD_SLICE_VALUES / out.getShape().get(1));
    for (long from = 0; from < vocab; from += rows) {
      long n = Math.min(rows, vocab - from);
      try (NDScope scope = new NDScope()) {
        NDArray h = family.finalNorm(model, x, head).get(":, " + first + ":-1, :"); // (B, T', E)
        NDArray w = out.get("{}:{}", from, from + n);
        NDArray z = family.capLogits(c, CausalLM.linear(h, CausalLM.toFloat(w), null)); // (B,T',n)
        NDArray expSum = z.sub(lse.expandDims(-1)).exp().sum(new int[] {-1}); // Σ_v p_v (B, T')
        NDArray local = y.sub(manager.create(from)); // target index within the slice
        NDArray inSlice = local.gte(0).logicalAnd(local.lt(n)).toType(z.getDataType(), false);
        NDArray index = local.clip(0, n - 1).expandDims(-1);
        NDArray picked = z.gather(index, -1).squeeze(-1).mul(inSlice); // z_y where y is here
        collector.backward(picked.sub(expSum).mul(coef).sum());
      }
    }
    NDArray grad = x.getGradient();
    grad.attach(manager);
    x.close();
    coef.close();
    return grad;
  }

  private boolean embeddingTrains() {
    return model.layout().embedding().tensors().stream()
        .map(t -> model.trainableParameters().get(t.name()))
        .anyMatch(a -> a != null && a.hasGradient());
  }

  @Override
  public void close() {
    manager.close();
  }
}
