package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * GPT-2 (Radford et al. 2019) as Hugging Face's {@code GPT2LMHeadModel}: learned positions,
 * pre-LayerNorm blocks, {@code gelu_new}, Conv1D weights stored (in, out), the output head tied to
 * {@code wte}.
 */
final class Gpt2Model extends CausalLM {
  static final String PREFIX = "transformer.";

  private static final float GELU_A = (float) (2 * Math.sqrt(2.0 / Math.PI));
  private static final float GELU_B = (float) (2 * Math.sqrt(2.0 / Math.PI) * 0.044715);

  private final Shape normShape;

  Gpt2Model(ModelConfig config, NDManager manager, Map<String, NDArray> params) {
    super(config, manager, params);
    this.normShape = new Shape(config.hiddenSize());
  }

  static Map<String, Shape> shapes(ModelConfig c) {
    long e = c.hiddenSize();
    long inner = c.intermediateSize();
    Map<String, Shape> s = new LinkedHashMap<>();
    s.put(PREFIX + "wte.weight", new Shape(c.vocabSize(), e));
    s.put(PREFIX + "wpe.weight", new Shape(c.maxPositions(), e));
    for (int i = 0; i < c.numLayers(); i++) {
      String p = PREFIX + "h." + i + ".";
      s.put(p + "ln_1.weight", new Shape(e));
      s.put(p + "ln_1.bias", new Shape(e));
      s.put(p + "attn.c_attn.weight", new Shape(e, 3 * e));
      s.put(p + "attn.c_attn.bias", new Shape(3 * e));
      s.put(p + "attn.c_proj.weight", new Shape(e, e));
      s.put(p + "attn.c_proj.bias", new Shape(e));
      s.put(p + "ln_2.weight", new Shape(e));
      s.put(p + "ln_2.bias", new Shape(e));
      s.put(p + "mlp.c_fc.weight", new Shape(e, inner));
      s.put(p + "mlp.c_fc.bias", new Shape(inner));
      s.put(p + "mlp.c_proj.weight", new Shape(inner, e));
      s.put(p + "mlp.c_proj.bias", new Shape(e));
    }
    s.put(PREFIX + "ln_f.weight", new Shape(e));
    s.put(PREFIX + "ln_f.bias", new Shape(e));
    if (!c.tieWordEmbeddings()) {
      s.put("lm_head.weight", new Shape(c.vocabSize(), e));
    }
    return s;
  }

  @Override
  public NDArray hidden(NDArray ids, NDArray positions, AttentionMask mask, KvCache cache) {
    NDArray x =
        embedding(ids, param(PREFIX + "wte.weight"))
            .add(embedding(positions, param(PREFIX + "wpe.weight")));
    long b = ids.getShape().get(0);
    long t = ids.getShape().get(1);
    int heads = config.numHeads();
    int d = config.headDim();
    for (int i = 0; i < config.numLayers(); i++) {
      String p = PREFIX + "h." + i + ".";
      NDArray h = layerNorm(x, p + "ln_1");
      NDArray qkv = conv1d(h, p + "attn.c_attn"); // (B, T, 3E)
      NDList parts = qkv.split(3, 2);
      NDArray q = parts.get(0).reshape(b, t, heads, d).transpose(0, 2, 1, 3); // (B, H, T, D)
      NDArray k = parts.get(1).reshape(b, t, heads, d).transpose(0, 2, 1, 3);
      NDArray v = parts.get(2).reshape(b, t, heads, d).transpose(0, 2, 1, 3);
      x = x.add(conv1d(attention(q, k, v, mask, cache, i), p + "attn.c_proj"));
      h = layerNorm(x, p + "ln_2");
      x = x.add(conv1d(gelu(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj"));
    }
    return layerNorm(x, PREFIX + "ln_f"); // (B, T, E)
  }

  @Override
  public NDArray logits(NDArray hidden) {
    NDArray head =
        config.tieWordEmbeddings() ? param(PREFIX + "wte.weight") : param("lm_head.weight");
    return linear(hidden, head, null); // (B, T, V)
  }

  private NDArray layerNorm(NDArray x, String name) {
    return x.getNDArrayInternal()
        .layerNorm(
            x, normShape, param(name + ".weight"), param(name + ".bias"), (float) config.normEps())
        .singletonOrThrow();
  }

  /** GPT-2's Conv1D: x·W + b with W stored (in, out). */
  private NDArray conv1d(NDArray x, String name) {
    return adapted(name, x, x.matMul(param(name + ".weight")).add(param(name + ".bias")));
  }

  private NDArray gelu(NDArray x) {
    if (config.activation().equals("gelu")) {
      return x.getNDArrayInternal().gelu(); // exact, erf-based
    }
    // gelu_new: 0.5·x·(1 + tanh(z)), z = √(2/π)·(x + 0.044715·x³) (Hendrycks & Gimpel 2016),
    // computed as
    // x·σ(2z) (0.5·(1 + tanh z) = σ(2z)) with 2z = x·(a + b·x²): 6 elementwise ops instead of 8 and
    // no pow, which
    // matters in the backward pass of a 124M model on a CPU
    NDArray twoZ = x.mul(x).mul(Scalars.of(x, GELU_B)).add(Scalars.of(x, GELU_A)).mul(x);
    return x.mul(twoZ.getNDArrayInternal().sigmoid());
  }
}
