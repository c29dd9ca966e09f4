package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads safetensors tensors into arrays of a chosen storage type ({@link WeightType}), in blocks:
 * each array is allocated once by the engine, and the file is read and converted through staging
 * buffers of at most {@link #stagingBytes} that each block is copied in from. So a tensor over 2
 * GiB loads (a Java buffer cannot hold it), and the weights live in engine memory, not in Java
 * buffers the garbage collector manages.
 *
 * <p>One loader serves every tensor of a file and reuses its staging buffers. Direct buffers are
 * freed only when the garbage collector finds their owners, and a load allocates almost nothing on
 * the heap, so collections are rare: with buffers allocated per tensor, loading the 3 GB F16
 * llama3-1b model left about 4 GB of dead buffers resident (7.9 GB in all) until the old generation
 * was collected, which in that run never happened. With reused buffers a load holds at most two
 * staging buffers besides its weights.
 */
final class TensorLoader {
  /** Bytes of one staging block (package-private so that tests can cut small tensors in blocks). */
  static int stagingBytes = 64 << 20;

  /** The stored bytes of a block, as read from the file. */
  private ByteBuffer raw;

  /** A block converted to the storage type (unused when the file already stores that type). */
  private ByteBuffer staged;

  /** Tensor {@code e} of {@code file} as a new {@code type} array owned by {@code manager}. */
  synchronized NDArray load(
      SafeTensorsFile file, SafeTensorsFile.Entry e, WeightType type, NDManager m) {
    if (!e.dtype().isFloating()) {
      throw new ModelException(
          "tensor '"
              + e.name()
              + "' in "
              + file.path()
              + " has dtype "
              + e.dtype()
              + "; model weights must be F32, F16, BF16 or F64");
    }
    type.checkRunsOn(m.getDevice());
    long n = e.numel();
    NDArray out = m.create(new Shape(e.shape()), type.dataType()); // engine memory, uninitialised
    if (n == 0) {
      return out;
    }
    int perElement = Math.max(e.dtype().bytes(), type.bytes());
    long block = Math.max(1, stagingBytes / perElement);
    int most = (int) Math.min(block, n);
    // the stored bytes are already what the engine wants: no conversion, no second buffer
    boolean verbatim =
        e.dtype() == type.dtype() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
    raw = fit(raw, most * e.dtype().bytes(), ByteOrder.LITTLE_ENDIAN);
    if (!verbatim) {
      staged = fit(staged, most * type.bytes(), ByteOrder.nativeOrder());
    }
    try (NDArray flat = out.reshape(n)) { // a view: setting its slices fills out
      for (long from = 0; from < n; from += block) {
        long count = Math.min(block, n - from);
        raw.clear().limit((int) (count * e.dtype().bytes()));
        file.read(e, from * e.dtype().bytes(), raw);
        raw.flip();
        ByteBuffer source = raw;
        if (!verbatim) {
          staged.clear();
          convert(raw, e.dtype(), staged, type, file, e, from);
          staged.flip();
          source = staged;
        }
        // the piece reads the staging buffer in place (no copy); it is closed before the buffer is
        // refilled
        try (NDArray piece = m.create(source, new Shape(count), type.dataType())) {
          flat.set(new NDIndex("{}:{}", from, from + count), piece);
        }
      }
    }
    return out;
  }

  /**
   * {@code current} when it holds {@code bytes}, else a new direct buffer twice as large (at most
   * the staging size, at least {@code bytes}): a file's buffers grow a few times, then serve every
   * tensor.
   */
  private static ByteBuffer fit(ByteBuffer current, int bytes, ByteOrder order) {
    if (current != null && current.capacity() >= bytes) {
      return current.order(order);
    }
    int grown = current == null ? bytes : (int) Math.min(2L * current.capacity(), stagingBytes);
    return ByteBuffer.allocateDirect(Math.max(bytes, grown)).order(order);
  }

  /** Converts every element of {@code src} into {@code dst}; element 0 is {@code first}. */
  private static void convert(
      ByteBuffer src,
      DType from,
      ByteBuffer dst,
      WeightType to,
      SafeTensorsFile file,
      SafeTensorsFile.Entry e,
      long first) {
    for (long i = first; src.hasRemaining(); i++) {
      put(dst, from.readFloat(src), to, e.name(), file.path() + "", i);
    }
  }

  /**
   * Writes {@code v} as one element of {@code type} into {@code dst}; a finite value that F16
   * cannot hold is refused, naming the tensor, where it was read from and the element's index.
   */
  static void put(ByteBuffer dst, float v, WeightType type, String tensor, String where, long i) {
    switch (type) {
      case FLOAT32 -> dst.putFloat(v);
      case BFLOAT16 -> dst.putShort(HalfFloats.floatToBf16(v));
      case FLOAT16 -> {
        if (!HalfFloats.fitsHalf(v) && Float.isFinite(v)) {
          throw new ModelException(
              "tensor '"
                  + tensor
                  + "' in "
                  + where
                  + " holds "
                  + v
                  + " at element "
                  + i
                  + ", outside float16's range (±"
                  + HalfFloats.F16_MAX
                  + "): load it with model.dtype = float32");
        }
        dst.putShort(HalfFloats.floatToHalf(v));
      }
    }
  }
}
