package dev.d2o.train;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Arrays of floats and doubles as raw little-endian bytes, for Java serialization of weights and
 * gradients. {@code ObjectOutputStream} writes a {@code float[]} element by element (a bit
 * conversion and a bounds check per value, in 1 KB blocks); here each array goes through a 1 MB
 * buffer with the JDK's bulk buffer copies, and the reader fills the arrays the same way. Random
 * floats do not compress, so the bytes are written as they are. Format: the number of arrays, then
 * per array its length and its values.
 */
public final class RawArrays {
  private static final int BUFFER_BYTES = 1 << 20;

  private RawArrays() {}

  /** Writes {@code arrays} (null stands for no arrays, read back as null). */
  public static void writeFloats(DataOutput out, float[][] arrays) throws IOException {
    out.writeInt(arrays == null ? -1 : arrays.length);
    if (arrays == null) {
      return;
    }
    byte[] buf = new byte[BUFFER_BYTES];
    ByteBuffer bytes = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] a : arrays) {
      out.writeInt(a.length);
      for (int off = 0; off < a.length; off += BUFFER_BYTES / 4) {
        int n = Math.min(BUFFER_BYTES / 4, a.length - off);
        bytes.clear();
        bytes.asFloatBuffer().put(a, off, n);
        out.write(buf, 0, 4 * n);
      }
    }
  }

  /** Reads what {@link #writeFloats} wrote. */
  public static float[][] readFloats(DataInput in) throws IOException {
    int count = in.readInt();
    if (count < 0) {
      return null;
    }
    float[][] arrays = new float[count][];
    byte[] buf = new byte[BUFFER_BYTES];
    ByteBuffer bytes = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      float[] a = new float[in.readInt()];
      for (int off = 0; off < a.length; off += BUFFER_BYTES / 4) {
        int n = Math.min(BUFFER_BYTES / 4, a.length - off);
        in.readFully(buf, 0, 4 * n);
        bytes.clear();
        bytes.asFloatBuffer().get(a, off, n);
      }
      arrays[i] = a;
    }
    return arrays;
  }

  /** Writes {@code arrays} of doubles (null stands for no arrays). */
  public static void writeDoubles(DataOutput out, double[][] arrays) throws IOException {
    out.writeInt(arrays == null ? -1 : arrays.length);
    if (arrays == null) {
      return;
    }
    byte[] buf = new byte[BUFFER_BYTES];
    ByteBuffer bytes = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    for (double[] a : arrays) {
      out.writeInt(a.length);
      for (int off = 0; off < a.length; off += BUFFER_BYTES / 8) {
        int n = Math.min(BUFFER_BYTES / 8, a.length - off);
        bytes.clear();
        bytes.asDoubleBuffer().put(a, off, n);
        out.write(buf, 0, 8 * n);
      }
    }
  }

  /** Reads what {@link #writeDoubles} wrote. */
  public static double[][] readDoubles(DataInput in) throws IOException {
    int count = in.readInt();
    if (count < 0) {
      return null;
    }
    double[][] arrays = new double[count][];
    byte[] buf = new byte[BUFFER_BYTES];
    ByteBuffer bytes = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < count; i++) {
      double[] a = new double[in.readInt()];
      for (int off = 0; off < a.length; off += BUFFER_BYTES / 8) {
        int n = Math.min(BUFFER_BYTES / 8, a.length - off);
        in.readFully(buf, 0, 8 * n);
        bytes.clear();
        bytes.asDoubleBuffer().get(a, off, n);
      }
      arrays[i] = a;
    }
    return arrays;
  }

  /** Writes a list of {@link #writeFloats} groups, its size first. */
  public static void writeFloatParts(DataOutput out, List<float[][]> parts) throws IOException {
    out.writeInt(parts.size());
    for (float[][] part : parts) {
      writeFloats(out, part);
    }
  }

  /** Reads what {@link #writeFloatParts} wrote. */
  public static List<float[][]> readFloatParts(DataInput in) throws IOException {
    int n = in.readInt();
    List<float[][]> parts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      parts.add(readFloats(in));
    }
    return parts;
  }
}
