package dev.d2o.model;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Locale;

/**
 * The precision frozen weights are stored in ({@code model.dtype}): F32, F16 or BF16, 4 or 2 bytes
 * per parameter. Compute stays F32 whatever the storage ({@link Weights} widens a layer's weights
 * when it runs it); what trains (adapters, a full fine-tuning policy) is always F32.
 *
 * <p>BF16 storage is allowed on a GPU only: DJL 0.36's PyTorch CPU engine aborts the JVM on any
 * BF16 array ("terminate called without an active exception"). This enum is the only place the
 * project names {@link DataType#BFLOAT16}; {@link #checkRunsOn} refuses it on a CPU before any
 * array exists, and a test checks that no other source file names it.
 */
public enum WeightType {
  FLOAT32("float32", 4),
  FLOAT16("float16", 2),
  BFLOAT16("bfloat16", 2);

  /** The values {@code model.dtype} takes. */
  public static final List<String> OPTIONS = List.of("auto", "float32", "float16", "bfloat16");

  private final String torchName;
  private final int bytes;

  WeightType(String torchName, int bytes) {
    this.torchName = torchName;
    this.bytes = bytes;
  }

  /** The name as {@code torch_dtype} and {@code model.dtype} write it. */
  public String torchName() {
    return torchName;
  }

  /** Bytes per parameter. */
  public int bytes() {
    return bytes;
  }

  /** The safetensors dtype of this storage type. */
  public DType dtype() {
    return switch (this) {
      case FLOAT32 -> DType.F32;
      case FLOAT16 -> DType.F16;
      case BFLOAT16 -> DType.BF16;
    };
  }

  /** The engine's data type; only for arrays on a device {@link #checkRunsOn} accepted. */
  DataType dataType() {
    return switch (this) {
      case FLOAT32 -> DataType.FLOAT32;
      case FLOAT16 -> DataType.FLOAT16;
      case BFLOAT16 -> DataType.BFLOAT16;
    };
  }

  /** Whether this is a half-precision type (compute widens it). */
  public boolean isHalf() {
    return this != FLOAT32;
  }

  /** Fails before any array exists when the engine cannot hold this type on {@code device}. */
  public void checkRunsOn(Device device) {
    if (this == BFLOAT16 && !device.isGpu()) {
      throw new ModelException(
          "model.dtype = bfloat16 cannot run on "
              + device
              + ": DJL's PyTorch CPU engine aborts the JVM on bfloat16 arrays. Use model.dtype ="
              + " float16 (BF16 checkpoints are converted on load, refusing values outside"
              + " float16's range) or float32, or run on a GPU");
    }
  }

  /**
   * The storage type of {@code model.dtype = option} for a checkpoint whose {@code torch_dtype} is
   * {@code torchDtype} (null when the config has none), on {@code device}. {@code auto} keeps the
   * checkpoint's type on a GPU; on a CPU it is the nearest type the engine runs: F32 stays F32, F16
   * and BF16 become F16.
   */
  public static WeightType resolve(String option, String torchDtype, Device device) {
    WeightType t =
        switch (option) {
          case "auto" -> auto(torchDtype, device);
          case "float32" -> FLOAT32;
          case "float16" -> FLOAT16;
          case "bfloat16" -> BFLOAT16;
          default ->
              throw new ModelException(
                  "model.dtype = " + option + " is not one of " + String.join(", ", OPTIONS));
        };
    t.checkRunsOn(device);
    return t;
  }

  private static WeightType auto(String torchDtype, Device device) {
    String name = torchDtype == null ? "float32" : torchDtype.toLowerCase(Locale.ROOT);
    return switch (name) {
      case "float16", "half", "fp16" -> FLOAT16;
      case "bfloat16", "bf16" -> device.isGpu() ? BFLOAT16 : FLOAT16;
      default -> FLOAT32;
    };
  }

  /** The storage type of a safetensors dtype, for writing a tensor back as it was stored. */
  public static WeightType of(DType dtype) {
    return switch (dtype) {
      case F16 -> FLOAT16;
      case BF16 -> BFLOAT16;
      default -> FLOAT32;
    };
  }
}
