package dev.d2o.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;

/**
 * The additive attention mask of one forward call: a causal part over (new queries, all keys), one
 * per distinct sliding window among the model's layers, and a key-padding part per row. Kept as
 * small arrays that broadcast into the scores, rather than one (B, T, S) tensor per layer.
 *
 * <p>Query i of T new tokens sits at key slot S − T + i. Padding may be on the left (generation) or
 * on the right (scoring); a window counts slots, which equals positions for either layout. Each
 * layer applies its own window ({@link ModelConfig#window}), as Hugging Face's per-layer-type masks
 * do.
 */
public final class AttentionMask {
  private final Map<Integer, NDArray> causal; // window → (1, 1, 1, T, S); absent: nothing masked
  private final NDArray padding; // (B, 1, 1, 1, S), or null when no key is padding

  private AttentionMask(Map<Integer, NDArray> causal, NDArray padding) {
    this.causal = causal;
    this.padding = padding;
  }

  /**
   * Builds the mask for a model of {@code config}.
   *
   * @param keyValid per row, whether each of the S key slots holds a real token
   * @param queryLen T, the number of new tokens (the last T slots)
   */
  public static AttentionMask of(
      NDManager manager, boolean[][] keyValid, int queryLen, ModelConfig config) {
    int b = keyValid.length;
    int s = keyValid[0].length;
    Map<Integer, NDArray> causal = new HashMap<>();
    for (int window : new TreeSet<>(config.layerWindows())) {
      causal.put(window, causal(manager, queryLen, s, window));
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
    NDArray p = anyPad ? manager.create(pad, new Shape(b, 1, 1, 1, s)) : null;
    return new AttentionMask(causal, p);
  }

  /**
   * Key j is visible to query i (slot S − T + i) when j ≤ slot and, with a window, slot − j <
   * window.
   */
  private static NDArray causal(NDManager manager, int t, int s, int window) {
    float[] causal = new float[t * s];
    boolean any = false;
    for (int i = 0; i < t; i++) {
      int slot = s - t + i;
      for (int j = 0; j < s; j++) {
        boolean ok = j <= slot && (window <= 0 || slot - j < window);
        causal[i * s + j] = ok ? 0f : CausalLM.MASKED;
        any |= !ok;
      }
    }
    // a decoding step's query sees every key (no window): adding zeros would be one op per layer
    return any ? manager.create(causal, new Shape(1, 1, 1, t, s)) : null;
  }

  /** This mask with its arrays copied to {@code device} (layers placed on several devices). */
  AttentionMask on(Device device) {
    Map<Integer, NDArray> moved = new HashMap<>();
    causal.forEach((w, a) -> moved.put(w, a == null ? null : a.toDevice(device, true)));
    return new AttentionMask(moved, padding == null ? null : padding.toDevice(device, true));
  }

  /** Adds the mask of a layer with sliding window {@code window} to scores (B, Hkv, rep, T, S). */
  NDArray apply(NDArray scores, int window) {
    if (!causal.containsKey(window)) {
      throw new IllegalStateException("no mask was built for window " + window);
    }
    NDArray c = causal.get(window);
    NDArray out = c == null ? scores : scores.add(c);
    return padding == null ? out : out.add(padding);
  }
}
