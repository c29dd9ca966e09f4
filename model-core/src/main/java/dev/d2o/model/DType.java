package dev.d2o.model;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * Safetensors dtypes this project reads; floating types convert to F32 on load (BF16 arrays abort
 * DJL's CPU engine).
 */
public enum DType {
  F32(4),
  F16(2),
  BF16(2),
  F64(8),
  I64(8),
  I32(4),
  I16(2),
  I8(1),
  U8(1),
  BOOL(1);

  private final int bytes;

  DType(int bytes) {
    this.bytes = bytes;
  }

  /** Bytes per element. */
  public int bytes() {
    return bytes;
  }

  /** Whether {@link #toF32} can convert this type. */
  public boolean isFloating() {
    return this == F32 || this == F16 || this == BF16 || this == F64;
  }

  /** Parses a safetensors dtype name; null when unknown. */
  public static DType parse(String name) {
    for (DType t : values()) {
      if (t.name().equals(name)) {
        return t;
      }
    }
    return null;
  }

  /** Converts little-endian raw bytes of this floating type into floats. */
  public void toF32(ByteBuffer src, FloatBuffer dst) {
    src.order(java.nio.ByteOrder.LITTLE_ENDIAN);
    switch (this) {
      case F32 -> dst.put(src.asFloatBuffer());
      case BF16 -> {
        while (src.remaining() >= 2) {
          dst.put(Float.intBitsToFloat((src.getShort() & 0xffff) << 16));
        }
      }
      case F16 -> {
        while (src.remaining() >= 2) {
          dst.put(halfToFloat(src.getShort()));
        }
      }
      case F64 -> {
        while (src.remaining() >= 8) {
          dst.put((float) src.getDouble());
        }
      }
      default -> throw new ModelException("dtype " + this + " is not a floating type");
    }
  }

  /** IEEE 754 binary16 to binary32 (Float.float16ToFloat arrives only in Java 20). */
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
      float v = mant * 0x1p-24f; // subnormal: mant * 2^-24
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }
}
