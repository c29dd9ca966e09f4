package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * The additive attention mask of one forward call: a causal part over (new queries, all keys), with
 * an optional sliding window, and a key-padding part per row. Kept as two small arrays that
 * broadcast into the scores, rather than one (B, T, S) tensor.
 *
 * <p>Query i of T new tokens sits at key slot S − T + i. Padding may be on the left (generation) or
 * on the right (scoring); the window counts slots, which equals positions for either layout.
 */
public final class AttentionMask {
  private final NDArray causal; // (1, 1, 1, T, S)
  private final NDArray padding; // (B, 1, 1, 1, S), or null when no key is padding

  private AttentionMask(NDArray causal, NDArray padding) {
    this.causal = causal;
    this.padding = padding;
  }

  /**
   * Builds the mask.
   *
   * @param keyValid per row, whether each of the S key slots holds a real token
   * @param queryLen T, the number of new tokens (the last T slots)
   * @param window sliding-window size in tokens, 0 for none
   */
  public static AttentionMask of(
      NDManager manager, boolean[][] keyValid, int queryLen, int window) {
    int b = keyValid.length;
    int s = keyValid[0].length;
    int t = queryLen;
    float[] causal = new float[t * s];
    for (int i = 0; i < t; i++) {
      int slot = s - t + i;
      for (int j = 0; j < s; j++) {
        boolean ok = j <= slot && (window <= 0 || slot - j < window);
        causal[i * s + j] = ok ? 0f : CausalLM.MASKED;
      }
    }
    boolean anyPad = false;
    float[] pad = new float[b * s];
    for (int r = 0; r < b; r++) {
      for (int j = 0; j < s; j++) {
        if (!keyValid[r][j]) {
          pad[r * s + j] = CausalLM.MASKED;
          anyPad = true;
        }
      }
    }
    NDArray c = manager.create(causal, new Shape(1, 1, 1, t, s));
    NDArray p = anyPad ? manager.create(pad, new Shape(b, 1, 1, 1, s)) : null;
    return new AttentionMask(c, p);
  }

  /** Adds the mask to scores (B, Hkv, rep, T, S). */
  NDArray apply(NDArray scores) {
    NDArray out = scores.add(causal);
    return padding == null ? out : out.add(padding);
  }
}
