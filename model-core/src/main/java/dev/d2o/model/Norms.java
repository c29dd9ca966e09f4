package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/** The normalisations of the families, over the last axis, in fp32. A shared block. */
final class Norms {
  private Norms() {}

  /** LayerNorm (Ba et al. 2016) with scale {@code w} and bias {@code b}, as GPT-2 uses it. */
  static NDArray layerNorm(NDArray x, NDArray w, NDArray b, double eps) {
    Shape last = new Shape(x.getShape().tail());
    return x.getNDArrayInternal().layerNorm(x, last, w, b, (float) eps).singletonOrThrow();
  }

  /** RMSNorm (Zhang and Sennrich 2019): x · rsqrt(mean(x²) + eps) · w, as Llama's. */
  static NDArray rms(NDArray x, NDArray w, double eps) {
    return x.div(rootMeanSquare(x, eps)).mul(w);
  }

  /**
   * Gemma's RMSNorm, which scales by (1 + w) so that a zero weight is the identity scale: {@code
   * _norm(x.float()) * (1.0 + weight.float())} in Hugging Face's {@code Gemma2RMSNorm}.
   */
  static NDArray rmsOnePlus(NDArray x, NDArray w, double eps) {
    return x.div(rootMeanSquare(x, eps)).mul(w.add(Scalars.of(w, 1.0)));
  }

  private static NDArray rootMeanSquare(NDArray x, double eps) {
    return x.square().mean(new int[] {-1}, true).add(Scalars.of(x, eps)).sqrt();
  }
}
