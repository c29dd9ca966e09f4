package dev.d2o.spark;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.d2o.error.ConfigException;
import dev.d2o.spark.config.Keys;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Where a JVM loads its models ({@code model.device}): {@code cpu}; {@code gpu} (every GPU Spark
 * assigned to the task, {@code spark.task.resource.gpu.amount}; GPU 0 when it assigned none);
 * {@code auto} (as {@code gpu} when DJL's engine sees a GPU, else the CPU); or a list such as
 * {@code gpu:0,gpu:1}, where {@code gpu:i} is the task's i-th assigned GPU (the physical GPU i when
 * Spark assigned none). Several devices hold the model's layers in contiguous ranges ({@link
 * dev.d2o.model.Placement}). {@code cpu,cpu} places the model in two stages on the CPU, which runs
 * the multi-device code path on one machine (tests). The GPU branches are untested here (no GPU).
 */
public final class Devices {
  private Devices() {}

  /** The DJL devices for {@code option} in this JVM (and task). */
  public static List<Device> resolve(String option) {
    if (!Keys.DEVICES_SYNTAX.matcher(option).matches()) {
      throw new ConfigException(
          "model.device = " + option + " is not one of: " + Keys.DEVICES_ALLOWED);
    }
    int gpus = Engine.getInstance().getGpuCount();
    switch (option) {
      case "auto":
        return gpus > 0 ? taskGpus() : List.of(Device.cpu());
      case "gpu":
        requireGpu(option, gpus);
        return taskGpus();
      default:
        List<Device> out = new ArrayList<>();
        List<Integer> assigned = assignedGpus();
        for (String d : option.split(",")) {
          if (d.equals("cpu")) {
            out.add(Device.cpu());
          } else {
            requireGpu(option, gpus);
            int i = Integer.parseInt(d.substring(4));
            out.add(Device.gpu(assigned.isEmpty() ? i : assigned.get(i)));
          }
        }
        return out;
    }
  }

  private static void requireGpu(String option, int gpus) {
    if (gpus == 0) {
      throw new ConfigException(
          "model.device = "
              + option
              + ", but DJL's "
              + Engine.getInstance().getEngineName()
              + " engine sees no GPU in this JVM: build the application jar with -Pcuda and put the"
              + " CUDA libtorch on the nodes (deploy/databricks/init-djl-cuda.sh), or use"
              + " model.device = auto or cpu");
    }
  }

  private static List<Device> taskGpus() {
    List<Integer> assigned = assignedGpus();
    if (assigned.isEmpty()) {
      return List.of(Device.gpu(0));
    }
    return assigned.stream().map(Device::gpu).toList();
  }

  /** The GPU addresses Spark's resource scheduling gave the running task, if any. */
  private static List<Integer> assignedGpus() {
    TaskContext tc = TaskContext.get();
    List<Integer> out = new ArrayList<>();
    if (tc != null) {
      ResourceInformation gpu = tc.resourcesJMap().get("gpu");
      if (gpu != null) {
        for (String a : gpu.addresses()) {
          out.add(Integer.parseInt(a));
        }
      }
    }
    return out;
  }
}
