package dev.d2o.train;

/**
 * The hyperparameters of the objective (ARCHITECTURE.md §2), validated on construction. Errors name
 * the key, the value and what is allowed.
 *
 * @param type which objective ({@value #KEY_TYPE})
 * @param beta β, the scale of the anchor log-ratios ({@value #KEY_BETA}); also DPO's β and NPO's β
 * @param alpha α, the scale of the negative log-ratio ({@value #KEY_ALPHA})
 * @param k K, anchors per prompt ({@value #KEY_K})
 */
public record LossConfig(LossType type, double beta, double alpha, int k) {
  public static final String KEY_TYPE = "loss";
  public static final String KEY_BETA = "beta";
  public static final String KEY_ALPHA = "alpha";
  public static final String KEY_K = "k";

  /** The paper's setting: distributional D²O. */
  public static final LossType TYPE_DEFAULT = LossType.D2O;

  /** β = 0.1 (the paper's default). */
  public static final double BETA_DEFAULT = 0.1;

  /** α = 0.1 (the paper's default, α = β). */
  public static final double ALPHA_DEFAULT = 0.1;

  /** K = 11 anchors per prompt (the paper's default). */
  public static final int K_DEFAULT = 11;

  public LossConfig {
    if (type == null) {
      throw new IllegalArgumentException(
          KEY_TYPE + " must be one of " + LossType.keys() + ", got null");
    }
    if (!(beta > 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException(KEY_BETA + " must be a finite number > 0, got " + beta);
    }
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException(KEY_ALPHA + " must be a finite number ≥ 0, got " + alpha);
    }
    if (k < 1) {
      throw new IllegalArgumentException(KEY_K + " must be ≥ 1 (anchors per prompt), got " + k);
    }
  }

  /** The defaults: d2o, β = α = 0.1, K = 11. */
  public static LossConfig defaults() {
    return new LossConfig(TYPE_DEFAULT, BETA_DEFAULT, ALPHA_DEFAULT, K_DEFAULT);
  }

  /** Parses the type by its configuration name ({@code "d2o-instance"}, …). */
  public static LossConfig of(String type, double beta, double alpha, int k) {
    return new LossConfig(LossType.parse(type), beta, alpha, k);
  }
}
