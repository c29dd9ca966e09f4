package dev.d2o.train;

import dev.d2o.config.Key;
import dev.d2o.config.Spelling;

/**
 * The hyperparameters of the objective (ARCHITECTURE.md §2), validated on construction. Errors name
 * the key, the value and what is allowed. Each is declared once as a {@link Key} (name, default,
 * allowed values, doc), and {@link TrainConfig} lists them among the training options.
 *
 * @param type which objective ({@code loss})
 * @param beta β, the scale of the anchor log-ratios ({@code beta}); also DPO's β and NPO's β
 * @param alpha α, the scale of the negative log-ratio ({@code alpha})
 * @param k K, anchors per prompt ({@code k})
 */
public record LossConfig(LossType type, double beta, double alpha, int k)
    implements java.io.Serializable {
  /** The objective, by its name in the loss registry {@link LossType}; the paper's D²O. */
  public static final Key<String> TYPE =
      Key.oneOf("loss", LossType.D2O.key(), LossType.keys(), "the objective (ARCHITECTURE.md §2)")
          .mustMatchOnResume();

  /** β = 0.1 (the paper's default). */
  public static final Key<Double> BETA =
      Key.positive("beta", 0.1, "β, scale of the anchors").mustMatchOnResume();

  /** α = 0.1 (the paper's default, α = β). */
  public static final Key<Double> ALPHA =
      Key.nonNegative("alpha", 0.1, "α, scale of the negative").mustMatchOnResume();

  /** K = 11 anchors per prompt (the paper's default). */
  public static final Key<Integer> K =
      Key.integer("k", 11, 1, "K, anchors per prompt").mustMatchOnResume();

  public LossConfig {
    if (type == null) {
      throw new IllegalArgumentException(
          TYPE.name() + " must be one of " + LossType.keys() + ", got null");
    }
    if (!(beta > 0) || Double.isInfinite(beta)) {
      throw new IllegalArgumentException(BETA.name() + " must be a finite number > 0, got " + beta);
    }
    if (!(alpha >= 0) || Double.isInfinite(alpha)) {
      throw new IllegalArgumentException(
          ALPHA.name() + " must be a finite number ≥ 0, got " + alpha);
    }
    if (k < 1) {
      throw new IllegalArgumentException(K.name() + " must be ≥ 1 (anchors per prompt), got " + k);
    }
  }

  /** The defaults: d2o, β = α = 0.1, K = 11. */
  public static LossConfig defaults() {
    return of(TYPE.defaultValue(), BETA.defaultValue(), ALPHA.defaultValue(), K.defaultValue());
  }

  /**
   * Parses the type by its configuration name ({@code "d2o-instance"}, …); an unknown one is an
   * error naming the allowed values and the nearest.
   */
  public static LossConfig of(String type, double beta, double alpha, int k) {
    LossType t =
        LossType.find(type)
            .orElseThrow(
                () ->
                    new IllegalArgumentException(
                        TYPE.name()
                            + " must be one of "
                            + LossType.keys()
                            + ", got '"
                            + type
                            + "' (did you mean '"
                            + Spelling.nearest(String.valueOf(type), LossType.keys(), false)
                            + "'?)"));
    return new LossConfig(t, beta, alpha, k);
  }
}
