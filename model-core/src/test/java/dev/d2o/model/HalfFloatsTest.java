package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The Java F16 and BF16 conversions against PyTorch's rounding. */
class HalfFloatsTest {
  /** The values of tools/half/conversions.py, with the bit patterns it printed (PyTorch 1.13). */
  private static final float[] VALUES = {
    0f,
    -0f,
    1f,
    -1f,
    1.00390625f,
    1.005859375f,
    1.0078125f,
    3.1415927f,
    65504f,
    65520f,
    1e-5f,
    -2.5e-8f,
    3.4e38f,
    1e-40f,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    0.1f,
    -0.30000001f,
    123456.789f,
    6e-8f
  };

  private static final int[] BF16 = {
    0x0, 0x8000, 0x3f80, 0xbf80, 0x3f80, 0x3f81, 0x3f81, 0x4049, 0x4780, 0x4780, 0x3728, 0xb2d7,
    0x7f80, 0x1, 0x7f80, 0xff80, 0x3dcd, 0xbe9a, 0x47f1, 0x3381
  };

  private static final int[] F16 = {
    0x0, 0x8000, 0x3c00, 0xbc00, 0x3c04, 0x3c06, 0x3c08, 0x4248, 0x7bff, 0x7c00, 0xa8, 0x8000,
    0x7c00, 0x0, 0x7c00, 0xfc00, 0x2e66, 0xb4cd, 0x7c00, 0x1
  };

  @Test
  void matchesPyTorchOnEdgeCases() {
    for (int i = 0; i < VALUES.length; i++) {
      assertEquals(BF16[i], HalfFloats.floatToBf16(VALUES[i]) & 0xffff, "bf16 of " + VALUES[i]);
      assertEquals(F16[i], HalfFloats.floatToHalf(VALUES[i]) & 0xffff, "f16 of " + VALUES[i]);
    }
  }

  /** Every F16 bit pattern widens and narrows back to itself (NaNs stay NaN). */
  @Test
  void everyHalfRoundTrips() {
    for (int bits = 0; bits < 0x10000; bits++) {
      float f = HalfFloats.halfToFloat((short) bits);
      short back = HalfFloats.floatToHalf(f);
      if (Float.isNaN(f)) {
        assertTrue(Float.isNaN(HalfFloats.halfToFloat(back)), Integer.toHexString(bits));
      } else {
        assertEquals(bits, back & 0xffff, Integer.toHexString(bits));
      }
    }
  }

  /**
   * A million floats over the whole F16 range (normal, subnormal, halfway cases) narrow as the
   * PyTorch engine's own cast does.
   */
  @Test
  void narrowsAsTheEngine() {
    Random r = new Random(1);
    int n = 1 << 20;
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      float mag = (float) Math.pow(2, -26 + 42 * r.nextDouble()); // 2^-26 … 2^16
      v[i] = (r.nextBoolean() ? -1 : 1) * mag;
      if (i % 7 == 0) { // an exact halfway point between two F16 values
        short h = HalfFloats.floatToHalf(v[i]);
        float lo = HalfFloats.halfToFloat(h);
        float hi = HalfFloats.halfToFloat((short) (h + 1));
        v[i] = Float.isFinite(hi) ? (lo + hi) / 2 : lo;
      }
    }
    try (NDManager m = NDManager.newBaseManager()) {
      NDArray half = m.create(v).toType(DataType.FLOAT16, false);
      ByteBuffer engine = half.toByteBuffer().order(ByteOrder.nativeOrder());
      for (int i = 0; i < n; i++) {
        short expected = engine.getShort();
        assertEquals(expected, HalfFloats.floatToHalf(v[i]), "element " + i + " = " + v[i]);
      }
    }
  }

  @Test
  void fitsHalfAtTheRangeLimit() {
    assertTrue(HalfFloats.fitsHalf(65504f));
    assertTrue(HalfFloats.fitsHalf(65519.99f)); // still rounds down to 65504
    assertTrue(!HalfFloats.fitsHalf(65520f));
    assertTrue(!HalfFloats.fitsHalf(-1e5f));
  }
}
