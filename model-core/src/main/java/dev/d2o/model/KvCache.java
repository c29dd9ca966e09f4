package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Per-layer keys and values of the tokens seen so far, (B, Hkv, S, D) each: grouped-query models
 * cache only their KV heads. The cache owns its arrays (in its own manager), so they survive the
 * {@link NDScope} of each decoding step.
 *
 * <p>A {@linkplain #preallocated preallocated} cache writes each step's keys and values into a
 * fixed buffer (B, Hkv, capacity, D) per layer, in place (PyTorch's {@code index_put_} on a slice),
 * and attention reads a view of the filled slots: no copy per token. A {@linkplain
 * #KvCache(NDManager, int) growing} cache concatenates instead, copying the whole cache at every
 * step (the decoder before issue 19, kept as the benchmark's baseline). Rows leave or repeat
 * through {@link #selectRows}, one copy of the buffers.
 */
public final class KvCache implements AutoCloseable {
  private static final long[] ONES = {1, 1, 1, 1};

  private final NDManager manager;
  private final NDArray[] keys;
  private final NDArray[] values;
  private final int[] filled;
  private final int capacity; // slots per buffer; 0 = grow by concatenation

  /** A cache that grows by concatenation (a copy of the cache per step). */
  public KvCache(NDManager parent, int numLayers) {
    this(parent, numLayers, 0);
  }

  private KvCache(NDManager parent, int numLayers, int capacity) {
    this.manager = parent.newSubManager();
    this.keys = new NDArray[numLayers];
    this.values = new NDArray[numLayers];
    this.filled = new int[numLayers];
    this.capacity = capacity;
  }

  /**
   * A cache with room for {@code capacity} key slots per row; a longer sequence grows it (by
   * doubling, one copy).
   */
  public static KvCache preallocated(NDManager parent, int numLayers, int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be ≥ 1, got " + capacity);
    }
    return new KvCache(parent, numLayers, capacity);
  }

  /** Number of cached key slots S. */
  public long length() {
    return filled[0];
  }

  /**
   * Appends this step's keys and values (B, Hkv, T, D) to {@code layer}; returns the full (B, Hkv,
   * S, D) pair (views into the buffers when preallocated).
   */
  NDList append(int layer, NDArray k, NDArray v) {
    int t = Math.toIntExact(k.getShape().get(2));
    int from = filled[layer];
    filled[layer] = from + t;
    if (capacity == 0) {
      keys[layer] = grow(keys[layer], k);
      values[layer] = grow(values[layer], v);
      return new NDList(keys[layer], values[layer]);
    }
    keys[layer] = write(keys[layer], k, from);
    values[layer] = write(values[layer], v, from);
    PtNDManager step = (PtNDManager) k.getManager(); // the views die with the step's arrays
    return new NDList(filled(keys[layer], from + t, step), filled(values[layer], from + t, step));
  }

  /**
   * A view of slots [0, to) of {@code buffer}: one engine call (DJL's {@code get(NDIndex)} makes
   * two, and {@code set} four, which a model of two layers pays at every step).
   */
  private static NDArray filled(NDArray buffer, long to, PtNDManager m) {
    long[] max = buffer.getShape().getShape().clone(); // getShape() is the Shape's own array
    max[2] = to;
    return JniUtils.index((PtNDArray) buffer, new long[4], max, ONES, m);
  }

  /** Copies {@code fresh} (B, Hkv, T, D) into slots [from, from + T) of the buffer. */
  private NDArray write(NDArray buffer, NDArray fresh, int from) {
    Shape s = fresh.getShape();
    long need = from + s.get(2);
    if (buffer == null || buffer.getShape().get(2) < need) {
      long slots = Math.max(need, buffer == null ? capacity : 2 * buffer.getShape().get(2));
      NDArray next =
          manager.zeros(new Shape(s.get(0), s.get(1), slots, s.get(3)), fresh.getDataType());
      NDScope.unregister(next);
      if (buffer != null) {
        next.set(slots(0, from), buffer.get(fresh.getManager(), slots(0, from)));
        buffer.close();
      }
      buffer = next;
    }
    long[] min = {0, 0, from, 0};
    long[] max = s.getShape().clone();
    max[2] = need;
    JniUtils.indexSet((PtNDArray) buffer, (PtNDArray) fresh, min, max, ONES); // in place
    return buffer;
  }

  private static NDIndex slots(long from, long to) {
    return new NDIndex().addAllDim(2).addSliceDim(from, to);
  }

  private NDArray grow(NDArray old, NDArray fresh) {
    NDArray next = old == null ? fresh.duplicate() : old.concat(fresh, 2);
    NDScope.unregister(next);
    next.attach(manager);
    if (old != null) {
      old.close();
    }
    return next;
  }

  /**
   * Keeps only the given batch rows, in the given order; a row may repeat (the prompt cache of one
   * prompt expanded to its samples). Safe to call inside an {@link NDScope}.
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
