package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Reads one safetensors tensor into an array of a chosen storage type ({@link WeightType}), in
 * blocks: the array is allocated once by the engine, and the file is read and converted through a
 * staging buffer of at most {@link #stagingBytes} that each block is copied in from. So a tensor
 * over 2 GiB loads (a Java buffer cannot hold it), the Java heap and direct memory hold one block
 * only, and the weights live in engine memory, not in Java buffers the garbage collector manages.
 */
final class TensorLoader {
  /** Bytes of one staging block (package-private so that tests can cut small tensors in blocks). */
  static int stagingBytes = 64 << 20;

  private TensorLoader() {}

  /** Tensor {@code e} of {@code file} as a new {@code type} array owned by {@code manager}. */
  static NDArray load(SafeTensorsFile file, SafeTensorsFile.Entry e, WeightType type, NDManager m) {
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
    ByteBuffer raw = ByteBuffer.allocateDirect((int) (Math.min(block, n) * e.dtype().bytes()));
    ByteBuffer staged = ByteBuffer.allocateDirect((int) (Math.min(block, n) * type.bytes()));
    raw.order(ByteOrder.LITTLE_ENDIAN);
    staged.order(ByteOrder.nativeOrder());
    try (NDArray flat = out.reshape(n)) { // a view: setting its slices fills out
      for (long from = 0; from < n; from += block) {
        long count = Math.min(block, n - from);
        raw.clear().limit((int) (count * e.dtype().bytes()));
        file.read(e, from * e.dtype().bytes(), raw);
        raw.flip();
        staged.clear();
        convert(raw, e.dtype(), staged, type, file, e, from);
        staged.flip();
        try (NDArray piece = m.create(staged, new Shape(count), type.dataType())) {
          flat.set(new NDIndex("{}:{}", from, from + count), piece);
        }
      }
    }
    return out;
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
    if (from == to.dtype() && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      dst.put(src); // the stored bytes are already what the engine wants
      return;
    }
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
