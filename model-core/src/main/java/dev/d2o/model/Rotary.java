package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.Objects;

/**
 * Rotary position embeddings (Su et al. 2021) as Hugging Face's Llama-style models apply them:
 * non-interleaved halves ({@code rotate_half}), inverse frequencies in fp32 with the {@code
 * rope_scaling} of {@link RopeScaling}. A shared block: the families that use it hold one in their
 * options.
 */
final class Rotary {
  private final int headDim;
  private final double theta;
  private final RopeScaling scaling;
  private final float[] invFreq;

  Rotary(int headDim, double theta, RopeScaling scaling) {
    this.headDim = headDim;
    this.theta = theta;
    this.scaling = scaling;
    this.invFreq = scaling.inverseFrequencies(headDim, theta);
  }

  /**
   * Reads {@code rope_theta} (default {@code defaultTheta}) and {@code rope_scaling}; the head
   * dimension must be even.
   */
  static Rotary parse(ConfigKeys k, int headDim, double defaultTheta) {
    if (headDim % 2 != 0) {
      throw new ModelException(
          "head dimension "
              + headDim
              + " in "
              + k.source()
              + " must be even for rotary embeddings");
    }
    double theta = k.positiveNumber("rope_theta", defaultTheta);
    return new Rotary(headDim, theta, RopeScaling.parse(k.json().get("rope_scaling"), k.source()));
  }

  /**
   * cos and sin of position · inverse frequency, duplicated over both halves: (B, 1, T, D) each.
   */
  NDList cosSin(NDArray positions) {
    NDArray inv = positions.getManager().create(invFreq); // (D/2)
    NDArray freqs = CausalLM.toFloat(positions).expandDims(-1).mul(inv); // (B, T, D/2)
    NDArray emb = NDArrays.concat(new NDList(freqs, freqs), -1).expandDims(1); // (B, 1, T, D)
    return new NDList(emb.cos(), emb.sin());
  }

  /**
   * x·cos + rotate_half(x)·sin for x (B, H, T, D), rotate_half(x) = (−x₂, x₁) over the two halves
   * of the head dimension.
   */
  static NDArray apply(NDArray x, NDList cosSin) {
    NDList halves = x.split(2, 3);
    NDArray rotated = NDArrays.concat(new NDList(halves.get(1).neg(), halves.get(0)), -1);
    return x.mul(cosSin.get(0)).add(rotated.mul(cosSin.get(1)));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Rotary r
        && r.headDim == headDim
        && Double.compare(r.theta, theta) == 0
        && r.scaling.equals(scaling);
  }

  @Override
  public int hashCode() {
    return Objects.hash(headDim, theta, scaling);
  }

  @Override
  public String toString() {
    return "Rotary[headDim=" + headDim + ", theta=" + theta + ", scaling=" + scaling + "]";
  }
}
