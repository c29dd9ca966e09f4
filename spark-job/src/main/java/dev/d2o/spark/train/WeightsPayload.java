package dev.d2o.spark.train;

import dev.d2o.train.RawArrays;
import java.io.Externalizable;
import java.io.IOException;
import java.io.ObjectInput;
import java.io.ObjectOutput;

/**
 * The trainable weights as a broadcast carries them: serialized as raw little-endian floats ({@link
 * RawArrays}) instead of Java's element-by-element {@code float[]} form, which took most of a 124
 * M-parameter broadcast's time. Set {@code spark.broadcast.compress=false} too: random floats do
 * not compress, so compressing them only costs time on the driver and every executor.
 */
public final class WeightsPayload implements Externalizable {
  private static final long serialVersionUID = 1L;
  private float[][] weights;

  /** For deserialization. */
  public WeightsPayload() {}

  private WeightsPayload(float[][] weights) {
    this.weights = weights;
  }

  /**
   * A payload of a copy of {@code weights}: the driver updates its weights in place, and a
   * local-mode broadcast would share them.
   */
  public static WeightsPayload copyOf(float[][] weights) {
    float[][] out = new float[weights.length][];
    for (int i = 0; i < weights.length; i++) {
      out[i] = weights[i].clone();
    }
    return new WeightsPayload(out);
  }

  /** The weights, in {@code trainableParameters()} order. */
  float[][] weights() {
    return weights;
  }

  @Override
  public void writeExternal(ObjectOutput out) throws IOException {
    RawArrays.writeFloats(out, weights);
  }

  @Override
  public void readExternal(ObjectInput in) throws IOException {
    weights = RawArrays.readFloats(in);
  }
}
