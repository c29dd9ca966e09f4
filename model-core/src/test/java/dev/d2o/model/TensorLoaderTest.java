package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Loading a file's tensors holds at most the loader's staging buffers besides the arrays loaded:
 * the JVM's own count of direct memory (which includes buffers that are garbage but not yet
 * collected) grows by no more than a few staging sizes, however many tensors the file has.
 */
class TensorLoaderTest {
  private static final int TENSORS = 40;
  private static final int VALUES = 1000;

  @Test
  void aFileOfManyTensorsLoadsThroughBoundedStaging(@TempDir Path tmp) throws IOException {
    Path file = writeF16(tmp);
    int saved = TensorLoader.stagingBytes;
    TensorLoader.stagingBytes = 1024; // 512 F16 or 256 F32 values per block: 4 blocks a tensor
    try (NDManager m = NDManager.newBaseManager();
        SafeTensorsFile f = SafeTensorsFile.open(file)) {
      List<NDArray> kept = new ArrayList<>();
      long before = directBytesUsed();
      for (String name : f.entries().keySet()) {
        kept.add(f.load(name, WeightType.FLOAT16, m)); // read as stored
        kept.add(f.load(name, WeightType.FLOAT32, m)); // converted through a second buffer
      }
      long grown = directBytesUsed() - before;
      // two buffers (raw, converted), each at most the staging size after doubling from its first
      // size: below 2 × 2 × 1024 bytes. Buffers allocated per tensor (the loader before this
      // test) came to 143,360 bytes here.
      assertTrue(
          grown <= 4L * TensorLoader.stagingBytes,
          "direct memory grew by " + grown + " bytes while loading " + 2 * TENSORS + " tensors");
      for (int t = 0; t < TENSORS; t++) {
        float[] expected = values(t);
        NDArray half = kept.get(2 * t);
        NDArray full = kept.get(2 * t + 1);
        assertTrue(
            half.getDataType() == DataType.FLOAT16 && full.getDataType() == DataType.FLOAT32);
        assertArrayEquals(expected, half.toType(DataType.FLOAT32, false).toFloatArray(), "t" + t);
        assertArrayEquals(expected, full.toFloatArray(), "t" + t);
      }
    } finally {
      TensorLoader.stagingBytes = saved;
    }
  }

  /** Values exact in F16: multiples of 1/64 below 16. */
  private static float[] values(int tensor) {
    float[] v = new float[VALUES];
    for (int i = 0; i < VALUES; i++) {
      v[i] = ((tensor * 37 + i * 11) % 1024 - 512) / 64f;
    }
    return v;
  }

  private static Path writeF16(Path dir) throws IOException {
    List<SafeTensorsShards.Tensor> tensors = new ArrayList<>();
    for (int t = 0; t < TENSORS; t++) {
      tensors.add(new SafeTensorsShards.Tensor("t" + t, DType.F16, new long[] {VALUES}));
    }
    SafeTensorsShards.write(
        dir,
        tensors,
        SafeTensorsShards.MAX_SHARD_BYTES,
        (t, out) -> {
          ByteBuffer b = ByteBuffer.allocate(VALUES * 2).order(ByteOrder.LITTLE_ENDIAN);
          for (float v : values(Integer.parseInt(t.name().substring(1)))) {
            b.putShort(HalfFloats.floatToHalf(v));
          }
          out.write(b.array());
        });
    return dir.resolve("model.safetensors");
  }

  private static long directBytesUsed() {
    return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(p -> p.getName().equals("direct"))
        .mapToLong(BufferPoolMXBean::getMemoryUsed)
        .sum();
  }
}
