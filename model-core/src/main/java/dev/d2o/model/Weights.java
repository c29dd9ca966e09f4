package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;

/**
 * The weights of one group of a model (its embedding, one layer, its head) under the group's name
 * prefix, with the projections a forward pass applies to them: nn.Linear, GPT-2's Conv1D (both with
 * the model's LoRA adapters, when it carries them) and the embedding lookup. Forward passes read a
 * layer's weights through this view only, so that where a layer's weights live (a device, a storage
 * precision) is decided in one place.
 *
 * <p>Half-precision weights ({@link WeightType}) are widened to F32 when they are used (dequantised
 * on use) and the product runs in F32. Measured on this project's 2-core CPU (DJL 0.36, libtorch
 * 2.7.1, x·Wᵀ with W 8192 × 2048): for 80 rows F32 95 ms, widen-then-F32 207 ms, F16 236 ms; for
 * 512 rows 244, 342 and 1144 ms. F16 products are slow for many rows, and F32 activations keep F32
 * accuracy. For a decoding step (1 row per sequence) the widening dominates (41 ms against 5.3 ms
 * in F16), so there the product runs in half precision ({@link LayerInputs#decoding}). A widened
 * copy's wrapper is closed right after the product: its memory is the engine's, so a gradient graph
 * that saved it keeps it (until that graph is released, layer by layer in {@link LayerBackward})
 * and nothing else does.
 */
final class Weights {
  /** Rows of a half-precision output head widened at a time (× hidden × 4 bytes). */
  static final long HEAD_SLICE_VALUES = 16L << 20;

  /**
   * Rows of an F32 output head per product when few rows of activations meet it (decoding steps):
   * MKL's product of 16 rows with the whole 50257 × 768 head ran at 35 GFLOP/s on one thread here,
   * in slices of 2048 head rows at 48 (4 rows: 13 → 19; 88 rows: 54 → 76), the slice's output
   * staying in the L2 cache (measured with the head cold in cache, as in a step; in a decoding step
   * of batch 16 the head went from 39 to 31 ms: README, "Where a decoding step goes").
   */
  static final long DECODE_HEAD_SLICE_ROWS = 2048;

  /** Most activation rows for which the F32 head is sliced ({@link #DECODE_HEAD_SLICE_ROWS}). */
  static final long DECODE_HEAD_MAX_ROWS = 128;

  private final CausalLM model;
  private final String prefix;
  private final LayerInputs in;

  Weights(CausalLM model, String prefix, LayerInputs in) {
    this.model = model;
    this.prefix = prefix;
    this.in = in;
  }

  /**
   * The weight {@code prefix + name} in F32: the stored array, or a widened copy that belongs to
   * the call's activations (norm scales and biases: small).
   */
  NDArray get(String name) {
    NDArray w = model.param(prefix + name);
    if (w.getDataType() == DataType.FLOAT32) {
      return w;
    }
    NDArray wide = w.toType(DataType.FLOAT32, false);
    wide.attach(in.manager());
    return wide;
  }

  /** Rows of the embedding {@code name} (V, E) for token ids (B, T): (B, T, E) in F32. */
  NDArray embed(String name, NDArray ids) {
    NDArray w = model.param(prefix + name);
    NDArray rows =
        ids.getNDArrayInternal().embedding(ids, w, SparseFormat.DENSE).singletonOrThrow();
    if (rows.getDataType() == DataType.FLOAT32) {
      return rows;
    }
    NDArray wide = rows.toType(DataType.FLOAT32, false); // a frozen embedding: no graph to keep
    rows.close();
    return wide;
  }

  /**
   * nn.Linear {@code module}: x·Wᵀ (+ b when the model declares {@code module.bias}) (+ the adapter
   * update).
   */
  NDArray linear(String module, NDArray x) {
    String path = prefix + module;
    NDArray w = model.param(path + ".weight");
    NDArray b = model.parameters().get(path + ".bias");
    NDArray y;
    if (w.getDataType() == DataType.FLOAT32) {
      y = CausalLM.linear(x, w, b);
    } else if (in.decoding()) {
      DataType half = w.getDataType();
      NDArray x16 = x.toType(half, false);
      NDArray y16 = CausalLM.linear(x16, w, b == null ? null : b.toType(half, false));
      y = y16.toType(DataType.FLOAT32, false);
      x16.close();
      y16.close();
    } else {
      NDArray ww = w.toType(DataType.FLOAT32, false);
      NDArray bw = b == null ? null : b.toType(DataType.FLOAT32, false);
      y = CausalLM.linear(x, ww, bw);
      release(ww, bw);
    }
    return model.adapted(path, x, y);
  }

  /** GPT-2's Conv1D {@code module}: x·W + b with W stored (in, out) (+ the adapter update). */
  NDArray conv1d(String module, NDArray x) {
    String path = prefix + module;
    NDArray w = model.param(path + ".weight");
    NDArray y;
    if (w.getDataType() == DataType.FLOAT32) {
      y = x.matMul(w).add(model.param(path + ".bias"));
    } else {
      NDArray ww = w.toType(DataType.FLOAT32, false);
      NDArray bw = model.param(path + ".bias").toType(DataType.FLOAT32, false);
      y = x.matMul(ww).add(bw);
      release(ww, bw);
    }
    return model.adapted(path, x, y);
  }

  /**
   * x·Wᵀ for the output head {@code name} (V, E): (…, V). A half-precision head is widened a slice
   * of rows at a time (the head of a 128k vocabulary is 1 GB in F32 at width 2048), so one slice is
   * the most it adds.
   */
  NDArray head(String name, NDArray x) {
    NDArray w = model.param(name);
    boolean f32 = w.getDataType() == DataType.FLOAT32;
    long xRows = x.getShape().size() / x.getShape().tail(); // rows of activations
    boolean sliced =
        xRows <= DECODE_HEAD_MAX_ROWS
            && w.getShape().get(0) > DECODE_HEAD_SLICE_ROWS
            && !NoGrad.isRecording(); // training: slices would only add backward work
    if (f32 && !sliced) {
      return CausalLM.linear(x, w, null);
    }
    long vocab = w.getShape().get(0);
    long rows = f32 ? DECODE_HEAD_SLICE_ROWS : Math.max(1, HEAD_SLICE_VALUES / w.getShape().get(1));
    NDList parts = new NDList();
    for (long from = 0; from < vocab; from += rows) {
      NDArray slice = w.get("{}:{}", from, Math.min(vocab, from + rows)); // a view of rows
      NDArray wide = f32 ? slice : slice.toType(DataType.FLOAT32, false);
      parts.add(CausalLM.linear(x, wide, null)); // (…, rows)
      release(f32 ? null : wide, slice);
    }
    if (parts.size() == 1) {
      return parts.get(0);
    }
    NDArray out = NDArrays.concat(parts, -1); // (…, V)
    parts.close();
    return out;
  }

  /**
   * Closes the wrappers of widened copies: engine memory that a graph which saved them keeps, and
   * that is freed at once otherwise.
   */
  private static void release(NDArray... widened) {
    for (NDArray a : widened) {
      if (a != null) {
        a.close();
      }
    }
  }
}
