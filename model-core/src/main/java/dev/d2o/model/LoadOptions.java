package dev.d2o.model;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * How {@link Pretrained#load(java.nio.file.Path, ai.djl.ndarray.NDManager, LoadOptions)} stores and
 * places a model's weights.
 *
 * @param dtype {@code model.dtype}: auto, float32, float16 or bfloat16 ({@link WeightType#resolve})
 * @param devices the devices the weights may be spread over, in order ({@code model.device}); empty
 *     for the load manager's device alone
 * @param budgets bytes of weights each device may hold, or null for each device's default ({@link
 *     #defaultBudget})
 */
public record LoadOptions(String dtype, List<Device> devices, long[] budgets) {
  /** Every weight in F32 on the load manager's device: what the project did before model.dtype. */
  public static final LoadOptions FLOAT32 = new LoadOptions("float32", List.of(), null);

  /**
   * The share of a GPU's memory the weights may take by default; the rest holds activations, the
   * layer being widened, adapters and their gradients, and the CUDA context.
   */
  static final double GPU_WEIGHT_SHARE = 0.75;

  public LoadOptions {
    devices = List.copyOf(devices);
    if (budgets != null && budgets.length != devices.size()) {
      throw new IllegalArgumentException(
          budgets.length + " budgets for " + devices.size() + " devices");
    }
  }

  /** {@code dtype} on the load manager's device. */
  public static LoadOptions of(String dtype) {
    return new LoadOptions(dtype, List.of(), null);
  }

  /** The storage type for {@code config} with its weights starting on {@code device}. */
  WeightType weightType(ModelConfig config, Device device) {
    Device first = devices.isEmpty() ? device : devices.get(0);
    String torchDtype = config.raw().path("torch_dtype").asText(null);
    WeightType t = WeightType.resolve(dtype, torchDtype, first);
    devices.forEach(t::checkRunsOn);
    return t;
  }

  /** The placement of {@code config}'s groups in {@code type} ({@link Placement#plan}). */
  Placement placement(ModelConfig config, WeightType type, Device device) {
    int layers = config.numLayers();
    if (devices.size() <= 1) {
      return Placement.single(devices.isEmpty() ? device : devices.get(0), layers);
    }
    TensorLayout layout = config.tensors();
    long[] layerBytes = new long[layers];
    for (int i = 0; i < layers; i++) {
      layerBytes[i] = layout.layers().get(i).parameterCount() * type.bytes();
    }
    long[] b = budgets;
    if (b == null) {
      b = devices.stream().mapToLong(LoadOptions::defaultBudget).toArray();
    }
    int[] groups =
        Placement.plan(
            layout.embedding().parameterCount() * type.bytes(),
            layerBytes,
            layout.head().parameterCount() * type.bytes(),
            b);
    return Placement.of(devices, groups);
  }

  /**
   * The bytes of weights {@code device} holds by default: {@link #GPU_WEIGHT_SHARE} of a GPU's
   * memory (a GPU-only branch, untested here), no limit on the CPU.
   */
  static long defaultBudget(Device device) {
    if (!device.isGpu()) {
      return Long.MAX_VALUE;
    }
    MemoryUsage mem = CudaUtils.getGpuMemory(device);
    return (long) (mem.getMax() * GPU_WEIGHT_SHARE);
  }
}
