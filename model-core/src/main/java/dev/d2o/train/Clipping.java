package dev.d2o.train;

/**
 * Global-norm gradient clipping as {@code torch.nn.utils.clip_grad_norm_}: ‖g‖ = √(Σ over all
 * parameters of g²), and when ‖g‖ > maxNorm every gradient is scaled by maxNorm / (‖g‖ + 1e-6). The
 * norm is accumulated in float64, so it is non-finite only when some gradient entry is.
 */
public final class Clipping {
  private Clipping() {}

  /** ‖g‖₂ over all parameters. */
  public static double globalNorm(float[][] grads) {
    double sq = 0;
    for (float[] g : grads) {
      for (float x : g) {
        sq += (double) x * x;
      }
    }
    return Math.sqrt(sq);
  }

  /**
   * Clips {@code grads} in place to global norm {@code maxNorm} (≤ 0: no clipping).
   *
   * @return the norm before clipping (the {@code grad_norm} metric)
   */
  public static double clipByGlobalNorm(float[][] grads, double maxNorm) {
    double norm = globalNorm(grads);
    if (maxNorm > 0 && norm > maxNorm && Double.isFinite(norm)) {
      float scale = (float) (maxNorm / (norm + 1e-6));
      for (float[] g : grads) {
        for (int i = 0; i < g.length; i++) {
          g[i] *= scale;
        }
      }
    }
    return norm;
  }
}
