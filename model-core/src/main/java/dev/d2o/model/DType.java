package dev.d2o.model;

import java.nio.ByteBuffer;

/**
 * Safetensors dtypes this project reads. Floating tensors are converted element by element in Java
 * ({@link #readFloat}) into the storage type the model asks for ({@link WeightType}): BF16 arrays
 * abort DJL's CPU engine, so a BF16 checkpoint never reaches the engine as BF16 on a CPU.
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

  /** Whether {@link #readFloat} can read this type. */
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

  /** The next element of a little-endian buffer of this floating type, as a float. */
  float readFloat(ByteBuffer src) {
    return switch (this) {
      case F32 -> src.getFloat();
      case F16 -> HalfFloats.halfToFloat(src.getShort());
      case BF16 -> HalfFloats.bf16ToFloat(src.getShort());
      case F64 -> (float) src.getDouble();
      default -> throw new ModelException("dtype " + this + " is not a floating type");
    };
  }

  /** IEEE 754 binary16 to binary32. */
  static float halfToFloat(short h) {
    return HalfFloats.halfToFloat(h);
  }
}
