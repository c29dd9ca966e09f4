package dev.d2o.spark.testing;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.SafeTensorsFile;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

/** Compares the weights of two saved models tensor by tensor. */
public final class Weights {
  private Weights() {}

  /**
   * max |a − b| over every tensor of two {@code model.safetensors} files (which must hold the same
   * names).
   */
  public static double maxAbsDiff(Path a, Path b) {
    try (SafeTensorsFile fa = SafeTensorsFile.open(a);
        SafeTensorsFile fb = SafeTensorsFile.open(b);
        NDManager m = NDManager.newBaseManager()) {
      Map<String, SafeTensorsFile.Entry> ea = fa.entries();
      if (!ea.keySet().equals(fb.entries().keySet())) {
        throw new AssertionError(
            "different tensors: " + ea.keySet() + " vs " + fb.entries().keySet());
      }
      double max = 0;
      for (String name : Set.copyOf(ea.keySet())) {
        float[] x = fa.loadF32(name, m).toFloatArray();
        float[] y = fb.loadF32(name, m).toFloatArray();
        for (int i = 0; i < x.length; i++) {
          max = Math.max(max, Math.abs(x[i] - y[i]));
        }
      }
      return max;
    }
  }
}
