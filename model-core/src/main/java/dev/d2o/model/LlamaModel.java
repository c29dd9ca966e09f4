package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Llama family ({@code llama}, {@code mistral}, {@code qwen2}) as Hugging Face's {@code
 * LlamaForCausalLM}: RMSNorm, rotary position embeddings (non-interleaved, {@code rotate_half}),
 * SwiGLU MLP, grouped-query attention, optional q/k/v biases, optional tied head.
 */
final class LlamaModel extends CausalLM {
  private static final String PREFIX = "model.";

  private final float[] invFreq;

  LlamaModel(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
    super(config, manager, params);
    this.invFreq = config.ropeScaling().inverseFrequencies(config.headDim(), config.ropeTheta());
  }

  static Map<String, Shape> shapes(ModelConfig c) {
    long e = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long inner = c.intermediateSize();
    Map<String, Shape> s = new LinkedHashMap<>();
    s.put(PREFIX + "embed_tokens.weight", new Shape(c.vocabSize(), e));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = PREFIX + "layers." + i + ".";
      s.put(p + "input_layernorm.weight", new Shape(e));
      projection(s, p + "self_attn.q_proj", q, e, c.qkvBias());
      projection(s, p + "self_attn.k_proj", kv, e, c.qkvBias());
      projection(s, p + "self_attn.v_proj", kv, e, c.qkvBias());
      projection(s, p + "self_attn.o_proj", e, q, c.outBias());
      s.put(p + "post_attention_layernorm.weight", new Shape(e));
      projection(s, p + "mlp.gate_proj", inner, e, c.mlpBias());
      projection(s, p + "mlp.up_proj", inner, e, c.mlpBias());
      projection(s, p + "mlp.down_proj", e, inner, c.mlpBias());
    }
    s.put(PREFIX + "norm.weight", new Shape(e));
    if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new Shape(c.vocabSize(), e));
    }
    return s;
  }

  private static void projection(
      Map<String, Shape> s, String name, long out, long in, boolean bias) {
    s.put(name + ".weight", new Shape(out, in));
    if (bias) {
      s.put(name + ".bias", new Shape(out));
    }
  }

  @Override
  public NDArray hidden(NDArray ids, NDArray positions, AttentionMask mask, KvCache cache) {
    NDArray x = embedding(ids, param(PREFIX + "embed_tokens.weight")); // (B, T, E)
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    int h = config.numHeads();
    int hkv = config.numKvHeads();
    int d = config.headDim();
    NDList rope = rotary(positions); // cos, sin: (B, 1, T, D)
    for (int i = 0; i < config.numLayers(); i++) {
      String p = PREFIX + "layers." + i + ".";
      NDArray n = rmsNorm(x, p + "input_layernorm.weight");
      NDArray q =
          proj(n, p + "self_attn.q_proj").reshape(b, t, h, d).transpose(0, 2, 1, 3); // (B, H, T, D)
      NDArray k =
          proj(n, p + "self_attn.k_proj")
              .reshape(b, t, hkv, d)
              .transpose(0, 2, 1, 3); // (B, Hkv, T, D)
      NDArray v = proj(n, p + "self_attn.v_proj").reshape(b, t, hkv, d).transpose(0, 2, 1, 3);
      q = applyRotary(q, rope);
      k = applyRotary(k, rope);
      x = x.add(proj(attention(q, k, v, mask, cache, i), p + "self_attn.o_proj"));
      n = rmsNorm(x, p + "post_attention_layernorm.weight");
      NDArray gate = proj(n, p + "mlp.gate_proj");
      NDArray silu = gate.mul(gate.getNDArrayInternal().sigmoid());
      x = x.add(proj(silu.mul(proj(n, p + "mlp.up_proj")), p + "mlp.down_proj"));
    }
    return rmsNorm(x, PREFIX + "norm.weight"); // (B, T, E)
  }

  @Override
  public NDArray logits(NDArray hidden) {
    NDArray head =
        config.tieWordEmbeddings()
            ? param(PREFIX + "embed_tokens.weight")
            : param("lm_head.weight");
    return linear(hidden, head, null); // (B, T, V)
  }

  private NDArray proj(NDArray x, String name) {
    NDArray bias = parameters().get(name + ".bias");
    return adapted(name, x, linear(x, param(name + ".weight"), bias));
  }

  /** x · rsqrt(mean(x²) + eps) · w, in fp32. */
  private NDArray rmsNorm(NDArray x, String weight) {
    NDArray rms = x.square().mean(new int[] {-1}, true).add(Scalars.of(x, config.normEps())).sqrt();
    return x.div(rms).mul(param(weight));
  }

  /**
   * cos and sin of position · inverse frequency, duplicated over both halves: (B, 1, T, D) each.
   */
  private NDList rotary(NDArray positions) {
    NDArray inv = positions.getManager().create(invFreq); // (D/2)
    NDArray freqs = toFloat(positions).expandDims(-1).mul(inv); // (B, T, D/2)
    NDArray emb = concatLast(freqs, freqs).expandDims(1); // (B, 1, T, D)
    return new NDList(emb.cos(), emb.sin());
  }

  /**
   * x·cos + rotate_half(x)·sin, rotate_half(x) = (−x₂, x₁) over the two halves of the head
   * dimension.
   */
  private static NDArray applyRotary(NDArray x, NDList rope) {
    NDList halves = x.split(2, 3);
    NDArray rotated = concatLast(halves.get(1).neg(), halves.get(0));
    return x.mul(rope.get(0)).add(rotated.mul(rope.get(1)));
  }
}
