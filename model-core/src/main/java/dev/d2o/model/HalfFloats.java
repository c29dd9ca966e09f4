package dev.d2o.model;

/**
 * IEEE 754 binary16 (F16) and bfloat16 (BF16) conversions in Java, bit by bit: Java 17 has no
 * {@code Float.floatToFloat16} (it arrives in Java 20), and BF16 must never become an NDArray on
 * the CPU engine (it aborts the JVM), so checkpoints are converted here. Narrowing rounds to
 * nearest, ties to even, as PyTorch's {@code .half()} and {@code .bfloat16()} do.
 */
final class HalfFloats {
  /** The largest finite F16 value. */
  static final float F16_MAX = 65504f;

  private HalfFloats() {}

  /** binary16 bits to float (exact). */
  static float halfToFloat(short h) {
    int bits = h & 0xffff;
    int sign = (bits & 0x8000) << 16;
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    if (exp == 0x1f) {
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      float v = mant * 0x1p-24f; // subnormal: mant · 2^-24
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  /**
   * float to binary16 bits, rounding to nearest even; values of magnitude ≥ 65520 become ±infinity
   * (callers that must not overflow check {@link #fitsHalf} first).
   */
  static short floatToHalf(float f) {
    int bits = Float.floatToRawIntBits(f);
    int sign = (bits >>> 16) & 0x8000;
    int abs = bits & 0x7fffffff;
    if (abs >= 0x7f800000) { // infinity or NaN (a NaN keeps a quiet payload)
      return (short) (sign | 0x7c00 | (abs > 0x7f800000 ? 0x200 | ((abs >>> 13) & 0x3ff) : 0));
    }
    if (abs >= 0x477ff000) { // ≥ 65520: rounds up past 65504
      return (short) (sign | 0x7c00);
    }
    if (abs < 0x38800000) { // below 2^-14, the smallest normal F16: a subnormal or zero
      if (abs < 0x33000000) { // ≤ 2^-25 (half the smallest subnormal) rounds to zero
        return (short) sign;
      }
      int exp = abs >>> 23;
      int mant = (abs & 0x7fffff) | 0x800000;
      int shift = 126 - exp; // value / 2^-24 = mant · 2^(exp - 126)
      return (short) (sign | roundShift(mant, shift));
    }
    int h = (((abs >>> 23) - 112) << 10) | ((abs & 0x7fffff) >>> 13);
    int rest = abs & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (h & 1) == 1)) {
      h++; // a carry into the exponent is the correct next value
    }
    return (short) (sign | h);
  }

  /** Whether {@code f} is finite and stays finite as F16 (|f| < 65520). */
  static boolean fitsHalf(float f) {
    return Math.abs(f) < 65520f;
  }

  /** bfloat16 bits to float (exact). */
  static float bf16ToFloat(short b) {
    return Float.intBitsToFloat((b & 0xffff) << 16);
  }

  /** float to bfloat16 bits, rounding to nearest even; NaN stays a quiet NaN. */
  static short floatToBf16(float f) {
    int bits = Float.floatToRawIntBits(f);
    if ((bits & 0x7fffffff) > 0x7f800000) {
      return (short) ((bits >>> 16) | 0x40);
    }
    int lsb = (bits >>> 16) & 1;
    return (short) ((bits + 0x7fff + lsb) >>> 16);
  }

  private static int roundShift(int mant, int shift) {
    int h = mant >>> shift;
    int rest = mant & ((1 << shift) - 1);
    int half = 1 << (shift - 1);
    if (rest > half || (rest == half && (h & 1) == 1)) {
      h++;
    }
    return h;
  }
}
