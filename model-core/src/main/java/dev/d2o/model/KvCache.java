package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * Per-layer keys and values of the tokens seen so far, (B, Hkv, S, D) each: grouped-query models
 * cache only their KV heads. The cache owns its arrays (in its own manager), so they survive the
 * {@link NDScope} of each decoding step.
 */
public final class KvCache implements AutoCloseable {
  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;

  public KvCache(NDManager parent, int numLayers) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[numLayers];
    this.values = new NDArray[numLayers];
  }

  /** Number of cached key slots S. */
  public long length() {
    return keys[0] == null ? 0 : keys[0].getShape().get(2);
  }

  /**
   * Appends this step's keys and values (B, Hkv, T, D) to {@code layer}; returns the full (B, Hkv,
   * S, D) pair.
   */
  NDList append(int layer, NDArray k, NDArray v) {
    keys[layer] = keep(keys[layer], k);
    values[layer] = keep(values[layer], v);
    return new NDList(keys[layer], values[layer]);
  }

  private NDArray keep(NDArray old, NDArray fresh) {
    NDArray next = old == null ? fresh.duplicate() : old.concat(fresh, 2);
    NDScope.unregister(next);
    next.attach(manager);
    if (old != null) {
      old.close();
    }
    return next;
  }

  /**
   * Keeps only the given batch rows, in the given order (for example when finished rows leave the
   * batch); safe to call inside an {@link NDScope}.
   */
  public void selectRows(long[] rows) {
    for (int l = 0; l < keys.length; l++) {
      if (keys[l] == null) {
        continue;
      }
      NDArray idx = manager.create(rows);
      NDArray k = keys[l].get(idx); // (B', Hkv, S, D)
      NDArray v = values[l].get(idx);
      NDScope.unregister(k, v); // kept across steps, like append's results
      keys[l].close();
      values[l].close();
      idx.close();
      keys[l] = k;
      values[l] = v;
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
