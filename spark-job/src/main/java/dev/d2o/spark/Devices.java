package dev.d2o.spark;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.d2o.error.ConfigException;
import dev.d2o.spark.config.Keys;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * Where a JVM loads its models ({@code model.device}): {@code cpu}, {@code gpu}, or {@code auto} (a
 * GPU when DJL's engine sees one, else the CPU). On a GPU, a task that Spark's resource scheduling
 * gave a GPU ({@code spark.task.resource.gpu.amount}) uses that GPU's address; otherwise GPU 0.
 */
public final class Devices {
  private Devices() {}

  /** The DJL device for {@code name} in this JVM. */
  public static Device resolve(String name) {
    switch (name) {
      case "cpu":
        return Device.cpu();
      case "gpu":
        if (Engine.getInstance().getGpuCount() == 0) {
          throw new ConfigException(
              "model.device = gpu, but DJL's "
                  + Engine.getInstance().getEngineName()
                  + " engine sees no GPU in this JVM: build the application jar with -Pcuda and put the CUDA libtorch"
                  + " on the nodes (deploy/databricks/init-djl-cuda.sh), or use model.device = auto or cpu");
        }
        return Device.gpu(taskGpu());
      case "auto":
        return Engine.getInstance().getGpuCount() > 0 ? Device.gpu(taskGpu()) : Device.cpu();
      default:
        throw new ConfigException("model.device = " + name + " is not one of " + Keys.DEVICES);
    }
  }

  private static int taskGpu() {
    TaskContext tc = TaskContext.get();
    if (tc != null) {
      ResourceInformation gpu = tc.resourcesJMap().get("gpu");
      if (gpu != null && gpu.addresses().length > 0) {
        return Integer.parseInt(gpu.addresses()[0]);
      }
    }
    return 0;
  }
}
