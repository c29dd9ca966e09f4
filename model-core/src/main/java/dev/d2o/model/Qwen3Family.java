package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Qwen3 as Hugging Face's {@code Qwen3ForCausalLM} ({@code modeling_qwen3.py}, {@code
 * configuration_qwen3.py}): the Llama layer with a per-head RMSNorm on queries and keys ({@code
 * q_norm}, {@code k_norm}, over the head dimension) before the rotary embedding, {@code head_dim}
 * independent of the width (default 128), biases on q/k/v/o only with {@code attention_bias}
 * (default false), and sliding windows as Qwen2's ({@link Qwen2Family#qwenWindows}). The config
 * keys are Llama's, read by {@link LlamaFamily#parse}.
 */
final class Qwen3Family extends LlamaFamily {
  @Override
  public String modelType() {
    return "qwen3";
  }

  /** Qwen's tokenizers add no BOS. */
  @Override
  public boolean addsBosByDefault() {
    return false;
  }

  /** {@code Qwen3Config.head_dim} defaults to 128, whatever the width. */
  @Override
  int defaultHeadDim(ConfigKeys k, int hidden, int heads) {
    return 128;
  }

  @Override
  List<Integer> windows(ConfigKeys k, int layers) {
    return Qwen2Family.qwenWindows(k, layers);
  }

  @Override
  public TensorLayout tensors(ModelConfig c) {
    Options o = c.options(Options.class);
    long e = c.hiddenSize();
    long d = c.headDim();
    long q = c.numHeads() * d;
    long kv = c.numKvHeads() * d;
    long inner = c.intermediateSize();
    TensorLayout.Builder b = TensorLayout.builder();
    b.embedding(PREFIX).weight("embed_tokens.weight", c.vocabSize(), e);
    for (int i = 0; i < c.numLayers(); i++) {
      b.layer(PREFIX + "layers." + i + ".")
          .norm("input_layernorm.weight", e, TensorLayout.Init.ONES)
          .linear("self_attn.q_proj", q, e, o.qkvBias())
          .linear("self_attn.k_proj", kv, e, o.qkvBias())
          .linear("self_attn.v_proj", kv, e, o.qkvBias())
          .linear("self_attn.o_proj", e, q, o.outBias())
          .norm("self_attn.q_norm.weight", d, TensorLayout.Init.ONES)
          .norm("self_attn.k_norm.weight", d, TensorLayout.Init.ONES)
          .norm("post_attention_layernorm.weight", e, TensorLayout.Init.ONES)
          .linear("mlp.gate_proj", inner, e, false)
          .linear("mlp.up_proj", inner, e, false)
          .linear("mlp.down_proj", e, inner, false);
    }
    head(b, c, TensorLayout.Init.ONES);
    return b.build();
  }

  @Override
  NDArray layer(CausalLM m, int i, NDArray x, LayerInputs in) {
    ModelConfig c = m.config();
    double eps = c.normEps();
    long b = in.batch();
    long t = in.tokens();
    int d = c.headDim();
    Weights w = m.layer(i, in);
    NDArray n = Norms.rms(x, w.get("input_layernorm.weight"), eps);
    NDArray q = Attention.heads(w.linear("self_attn.q_proj", n), b, t, c.numHeads(), d);
    NDArray k = Attention.heads(w.linear("self_attn.k_proj", n), b, t, c.numKvHeads(), d);
    NDArray v = Attention.heads(w.linear("self_attn.v_proj", n), b, t, c.numKvHeads(), d);
    // per-head RMSNorm over D, then the rotary embedding (Qwen3Attention.forward)
    q =
        Rotary.apply(
            Norms.rms(q, w.get("self_attn.q_norm.weight"), eps), in.rope()); // (B, H, T, D)
    k = Rotary.apply(Norms.rms(k, w.get("self_attn.k_norm.weight"), eps), in.rope());
    Attention.Spec spec = Attention.Spec.standard(d);
    NDArray a =
        Attention.attend(q, k, v, spec, i, c.window(i), in.mask(), in.cache()); // (B, T, H·D)
    x = x.add(w.linear("self_attn.o_proj", a));
    n = Norms.rms(x, w.get("post_attention_layernorm.weight"), eps);
    return x.add(Mlp.gated(w, "mlp.", n, Mlp.Activation.SILU)); // (B, T, E)
  }

  /**
   * Llama's small config with heads twice as wide as width / heads (Qwen3-0.6B: 16 heads of 128 on
   * a width of 1024), an MLP 3 times the width and Qwen's rotary base 1e6.
   */
  @Override
  public ObjectNode smallConfig(Size size, int vocabSize, int bosTokenId, int eosTokenId) {
    ObjectNode n = super.smallConfig(size, vocabSize, bosTokenId, eosTokenId);
    n.put("head_dim", 2 * Math.max(1, size.hidden() / size.heads()))
        .put("intermediate_size", size.intermediateOr(3 * size.hidden()))
        .put("rope_theta", 1000000.0)
        .put("attention_bias", false);
    return n;
  }
}
