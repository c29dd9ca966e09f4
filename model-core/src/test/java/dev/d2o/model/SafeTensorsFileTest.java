package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The safetensors reader: dtype conversion, streaming past 2 GiB, and files that lie. */
class SafeTensorsFileTest {
  @TempDir Path tmp;

  /** A file with {@code header} (JSON) and {@code data}, as the format lays them out. */
  private Path file(String header, byte[] data) throws Exception {
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
    b.putLong(h.length).put(h).put(data);
    Path p = Files.createTempFile(tmp, "t", ".safetensors");
    Files.write(p, b.array());
    return p;
  }

  private static byte[] le(float... v) {
    ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : v) {
      b.putFloat(f);
    }
    return b.array();
  }

  private String error(Path p) {
    return assertThrows(ModelException.class, () -> SafeTensorsFile.open(p)).getMessage();
  }

  @Test
  void readsF32Bf16AndF16AsF32() throws Exception {
    // BF16 of 1.5 is 0x3FC0; F16 of -2.0 is 0xC000 and of 65504 (F16 max) is 0x7BFF; little-endian
    // bytes
    byte[] data = {0, 0, (byte) 0xC0, 0x3F, (byte) 0xC0, 0x3F, 0, (byte) 0xC0, (byte) 0xFF, 0x7B};
    Path p =
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[4,6]},"
                + "\"c\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[6,10]}}",
            data);
    try (SafeTensorsFile f = SafeTensorsFile.open(p);
        NDManager m = NDManager.newBaseManager()) {
      assertArrayEquals(new float[] {1.5f}, f.loadF32("a", m).toFloatArray());
      assertArrayEquals(new float[] {1.5f}, f.loadF32("b", m).toFloatArray());
      assertArrayEquals(new float[] {-2f, 65504f}, f.loadF32("c", m).toFloatArray());
    }
  }

  @Test
  void halfPrecisionSpecialValues() {
    assertEquals(Float.POSITIVE_INFINITY, DType.halfToFloat((short) 0x7C00));
    assertEquals(0x1p-24f, DType.halfToFloat((short) 0x0001)); // smallest subnormal
    assertEquals(-0f, DType.halfToFloat((short) 0x8000));
    assertEquals(true, Float.isNaN(DType.halfToFloat((short) 0x7E00)));
  }

  @Test
  void tensorBeyondTwoGibibytesInAShardIsReadWithoutLoadingTheFile() throws Exception {
    // a sparse 2 GiB filler tensor, then a small tensor whose bytes start past 2^31: only its bytes
    // are read
    long filler = (1L << 31) + 8;
    String header =
        "{\"filler\":{\"dtype\":\"U8\",\"shape\":["
            + filler
            + "],\"data_offsets\":[0,"
            + filler
            + "]},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":["
            + filler
            + ","
            + (filler + 16)
            + "]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    Path p = tmp.resolve("big.safetensors");
    try (RandomAccessFile raf = new RandomAccessFile(p.toFile(), "rw")) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
      raf.write(len.array());
      raf.write(h);
      raf.seek(8 + h.length + filler);
      raf.write(le(1f, 2f, 3f, 4f));
    }
    try (SafeTensorsFile f = SafeTensorsFile.open(p);
        NDManager m = NDManager.newBaseManager()) {
      assertArrayEquals(new float[] {1f, 2f, 3f, 4f}, f.loadF32("w", m).toFloatArray());
    }
  }

  @Test
  void headerLongerThanTheFile() throws Exception {
    Path p = tmp.resolve("trunc.safetensors");
    ByteBuffer b =
        ByteBuffer.allocate(12)
            .order(ByteOrder.LITTLE_ENDIAN)
            .putLong(1000)
            .put("{\"a\"".getBytes());
    Files.write(p, b.array());
    assertEquals(
        "truncated safetensors file "
            + p
            + ": the header claims 1000 bytes but the file has only 4 after"
            + " the length field",
        error(p));
  }

  @Test
  void absurdHeaderSizeIsRejectedBeforeAllocating() throws Exception {
    Path p = tmp.resolve("absurd.safetensors");
    Files.write(
        p,
        ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE - 3).array());
    assertEquals(
        "corrupt safetensors file "
            + p
            + ": header length "
            + (Long.MAX_VALUE - 3)
            + " is outside the allowed range [2, 100000000]",
        error(p));
  }

  @Test
  void shorterThanTheLengthField() throws Exception {
    Path p = tmp.resolve("tiny.safetensors");
    Files.write(p, new byte[] {1, 2, 3});
    assertEquals(
        "truncated safetensors file "
            + p
            + ": 3 bytes, but the format starts with an 8-byte header length",
        error(p));
  }

  @Test
  void offsetsOutOfRange() throws Exception {
    Path p = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", le(1f, 2f));
    assertEquals(
        "corrupt safetensors file "
            + p
            + ", tensor 'w': data_offsets [0, 16] lie outside the data section"
            + " of 8 bytes (truncated file or lying header)",
        error(p));
  }

  @Test
  void offsetsBeyondALongAreRefusedNotWrappedAround() throws Exception {
    // 2^64 + 8 wraps to 8 in a long; read that way this header would look consistent
    Path p =
        file(
            "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,18446744073709551624]}}",
            le(1f, 2f));
    assertEquals(
        "corrupt safetensors file "
            + p
            + ", tensor 'w': data_offsets [0,18446744073709551624] are not"
            + " 64-bit integers",
        error(p));
  }

  @Test
  void shapeAndByteLengthDisagree() throws Exception {
    Path p = file("{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", le(1f, 2f));
    assertEquals(
        "corrupt safetensors file "
            + p
            + ", tensor 'w': shape [3] of dtype F32 needs 12 bytes but"
            + " data_offsets span 8",
        error(p));
  }

  @Test
  void unknownDtype() throws Exception {
    Path p =
        file("{\"w\":{\"dtype\":\"F8_E4M3\",\"shape\":[2],\"data_offsets\":[0,2]}}", new byte[2]);
    assertEquals(
        "unknown dtype 'F8_E4M3' in safetensors file "
            + p
            + ", tensor 'w'; known dtypes: [F32, F16, BF16,"
            + " F64, I64, I32, I16, I8, U8, BOOL]",
        error(p));
  }

  @Test
  void headerThatIsNotJson() throws Exception {
    Path p = file("{\"w\": nonsense}", new byte[0]);
    assertEquals(
        true,
        error(p).startsWith("corrupt safetensors file " + p + ": the header is not valid JSON"));
  }

  @Test
  void overlappingTensors() throws Exception {
    Path p =
        file(
            "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
            le(1f, 2f));
    assertEquals("corrupt safetensors file " + p + ": tensors 'a' and 'b' overlap", error(p));
  }

  @Test
  void missingFile() {
    Path p = tmp.resolve("nope.safetensors");
    assertEquals("safetensors file not found: " + p, error(p));
  }
}
