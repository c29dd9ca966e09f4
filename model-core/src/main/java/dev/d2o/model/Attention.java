package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * Scaled dot-product attention with grouped-query heads, the key/value cache and the mask: the one
 * place every family's attention goes through. Query heads that share a KV head are folded into the
 * query-length axis instead of copying keys and values (query head h uses KV head h / (H / Hkv), as
 * Hugging Face's {@code repeat_kv}).
 */
final class Attention {
  /**
   * The score options of a family.
   *
   * @param scale the factor of q·kᵀ: 1/√head_dim, or Gemma 2's {@code query_pre_attn_scalar}^-½
   * @param softcap Gemma 2's {@code attn_logit_softcapping} c (scores become c·tanh(s/c)); 0 = off
   */
  record Spec(double scale, double softcap) {
    /** Scores scaled by 1/√{@code headDim}, not capped. */
    static Spec standard(int headDim) {
      return new Spec(1.0 / Math.sqrt(headDim), 0);
    }
  }

  private Attention() {}

  /** (B, T, n·D) → (B, n, T, D). */
  static NDArray heads(NDArray x, long b, long t, int n, int d) {
    return x.reshape(b, t, n, d).transpose(0, 2, 1, 3);
  }

  /**
   * Attention of layer {@code layer} over its cached and new keys.
   *
   * @param q queries (B, H, T, D)
   * @param k keys (B, Hkv, T, D) of the new tokens, appended to the cache when there is one
   * @param v values (B, Hkv, T, D)
   * @param window the layer's sliding window in tokens, 0 for none
   * @return (B, T, H·D)
   */
  static NDArray attend(
      NDArray q,
      NDArray k,
      NDArray v,
      Spec spec,
      int layer,
      int window,
      AttentionMask mask,
      KvCache cache) {
    if (cache != null) {
      NDList kv = cache.append(layer, k, v);
      k = kv.get(0);
      v = kv.get(1);
    }
    Shape qs = q.getShape();
    long b = qs.get(0);
    long h = qs.get(1);
    long t = qs.get(2);
    long d = qs.get(3);
    long hkv = k.getShape().get(1);
    long s = k.getShape().get(2);
    long rep = h / hkv;
    NDArray scores =
        q.reshape(b, hkv, rep * t, d).matMul(k.transpose(0, 1, 3, 2)); // (B, Hkv, rep·T, S)
    scores =
        scores
            .mul(Scalars.of(scores, spec.scale()))
            .reshape(b, hkv, rep, t, s); // (B, Hkv, rep, T, S)
    if (spec.softcap() > 0) {
      // Gemma 2: c·tanh(s/c) before the mask (Hugging Face's eager_attention_forward)
      NDArray cap = Scalars.of(scores, spec.softcap());
      scores = scores.div(cap).tanh().mul(cap);
    }
    scores = mask.apply(scores, window);
    NDArray probs = scores.softmax(-1).reshape(b, hkv, rep * t, s);
    NDArray out = probs.matMul(v); // (B, Hkv, rep·T, D)
    return out.reshape(b, h, t, d).transpose(0, 2, 1, 3).reshape(b, t, h * d); // (B, T, H·D)
  }
}
