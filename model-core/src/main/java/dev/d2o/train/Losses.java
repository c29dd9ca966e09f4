package dev.d2o.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.d2o.model.Scalars;

/**
 * The objectives of ARCHITECTURE.md §2 as pure functions of per-sequence log-prob tensors. A
 * sequence log-prob log π(y|x) is the sum of the response's token log-probs (fp32, prompt masked
 * out). With
 *
 * <pre>
 *   Δᵢ = policyLogpAnchors − refLogpAnchors      (B, K)   the anchors' logRatio
 *   Δ⁻ = policyLogpNegative − refLogpNegative    (B)      the negative's logRatio
 * </pre>
 *
 * <table>
 *   <caption>per-example losses</caption>
 *   <tr><td>{@code d2o}</td><td>−log σ((β/K)·ΣᵢΔᵢ − α·Δ⁻)</td></tr>
 *   <tr><td>{@code d2o-instance}</td><td>−(1/K)·Σᵢ log σ(β·Δᵢ − α·Δ⁻)</td></tr>
 *   <tr><td>{@code dpo}</td><td>−log σ(β·Δ₁ − β·Δ⁻)</td></tr>
 *   <tr><td>{@code npo}</td><td>−(2/β)·log σ(−β·Δ⁻)</td></tr>
 *   <tr><td>{@code ga}</td><td>log π_θ(y⁻|x) / |y⁻|</td></tr>
 * </table>
 *
 * <p>Source: Duan et al., "Negating Negatives: Alignment with Human Negative Samples via
 * Distributional Dispreference Optimization", EMNLP 2024 Findings, <a
 * href="https://arxiv.org/abs/2403.03419">arXiv:2403.03419</a>, Eq. 3 (d2o) and the instance-level
 * form it upper-bounds by Jensen; DPO: Rafailov et al. 2023, arXiv:2305.18290; NPO: Zhang et al.
 * 2024, arXiv:2404.05868. log σ is computed as −softplus(−x), finite for every finite x.
 *
 * <p>These functions read no trainer state; they work on any device and inside or outside a
 * gradient collector.
 */
public final class Losses {
  private Losses() {}

  /**
   * The loss chosen by {@code config.type()}, with the D²O reward metrics.
   *
   * @param policyLogpAnchors log π_θ(yᵢ|x), (B, K)
   * @param refLogpAnchors log π_r−(yᵢ|x), (B, K)
   * @param policyLogpNegative log π_θ(y⁻|x), (B)
   * @param refLogpNegative log π_r+(y⁻|x), (B)
   * @param negativeTokens |y⁻|, the negative's response token count (B); read only by {@code ga}
   */
  public static LossOutput compute(
      LossConfig config,
      NDArray policyLogpAnchors,
      NDArray refLogpAnchors,
      NDArray policyLogpNegative,
      NDArray refLogpNegative,
      NDArray negativeTokens) {
    checkShapes(config, policyLogpAnchors, refLogpAnchors, policyLogpNegative, refLogpNegative);
    NDArray anchorLogRatio = policyLogpAnchors.sub(refLogpAnchors); // (B, K)
    NDArray negativeLogRatio = policyLogpNegative.sub(refLogpNegative); // (B)
    double beta = config.beta();
    double alpha = config.alpha();
    NDArray rewardsAnchors =
        anchorLogRatio.mean(new int[] {1}).mul(Scalars.of(anchorLogRatio, beta)); // (B)
    NDArray rewardsNegative = negativeLogRatio.mul(Scalars.of(negativeLogRatio, alpha)); // (B)
    NDArray margin = rewardsAnchors.sub(rewardsNegative); // (B)
    NDArray losses =
        switch (config.type()) {
          case D2O -> d2o(anchorLogRatio, negativeLogRatio, beta, alpha);
          case D2O_INSTANCE -> d2oInstance(anchorLogRatio, negativeLogRatio, beta, alpha);
          case DPO -> dpo(anchorLogRatio, negativeLogRatio, beta);
          case NPO -> npo(negativeLogRatio, beta);
          case GA -> ga(policyLogpNegative, negativeTokens);
        };
    return new LossOutput(losses, margin, rewardsAnchors, rewardsNegative);
  }

  /** D²O, Eq. 3: −log σ((β/K)·ΣᵢΔᵢ − α·Δ⁻), per example (B). */
  public static NDArray d2o(
      NDArray anchorLogRatio, NDArray negativeLogRatio, double beta, double alpha) {
    NDArray margin =
        anchorLogRatio
            .mean(new int[] {1})
            .mul(Scalars.of(anchorLogRatio, beta))
            .sub(negativeLogRatio.mul(Scalars.of(negativeLogRatio, alpha))); // (B)
    return logSigmoid(margin).neg(); // (B)
  }

  /** Instance-level D²O: −(1/K)·Σᵢ log σ(β·Δᵢ − α·Δ⁻), per example (B). */
  public static NDArray d2oInstance(
      NDArray anchorLogRatio, NDArray negativeLogRatio, double beta, double alpha) {
    NDArray margins =
        anchorLogRatio
            .mul(Scalars.of(anchorLogRatio, beta))
            .sub(negativeLogRatio.mul(Scalars.of(negativeLogRatio, alpha)).expandDims(1)); // (B, K)
    return logSigmoid(margins).mean(new int[] {1}).neg(); // (B)
  }

  /** DPO with the first anchor as "chosen": −log σ(β·Δ₁ − β·Δ⁻), per example (B). */
  public static NDArray dpo(NDArray anchorLogRatio, NDArray negativeLogRatio, double beta) {
    NDArray first = anchorLogRatio.get(":, 0"); // (B)
    return logSigmoid(first.sub(negativeLogRatio).mul(Scalars.of(first, beta))).neg(); // (B)
  }

  /** NPO: −(2/β)·log σ(−β·Δ⁻), per example (B); the paper's "w/o sample" ablation. */
  public static NDArray npo(NDArray negativeLogRatio, double beta) {
    NDArray ls = logSigmoid(negativeLogRatio.mul(Scalars.of(negativeLogRatio, -beta)));
    return ls.mul(Scalars.of(ls, -2.0 / beta)); // (B)
  }

  /**
   * Gradient ascent on the negative: log π_θ(y⁻|x) / |y⁻|, per example (B). Expected to collapse
   * the model.
   */
  public static NDArray ga(NDArray policyLogpNegative, NDArray negativeTokens) {
    return policyLogpNegative.div(negativeTokens.maximum(Scalars.of(negativeTokens, 1))); // (B)
  }

  /** log σ(x) = −softplus(−x) = −(max(−x, 0) + log(1 + e^{−|x|})): no overflow for any finite x. */
  public static NDArray logSigmoid(NDArray x) {
    NDArray softplusNeg =
        x.neg().maximum(Scalars.of(x, 0)).add(x.abs().neg().exp().add(Scalars.of(x, 1)).log());
    return softplusNeg.neg();
  }

  private static void checkShapes(
      LossConfig config,
      NDArray policyLogpAnchors,
      NDArray refLogpAnchors,
      NDArray policyLogpNegative,
      NDArray refLogpNegative) {
    Shape anchors = policyLogpAnchors.getShape();
    if (anchors.dimension() != 2 || anchors.get(1) != config.k()) {
      throw new IllegalArgumentException(
          "policyLogpAnchors must be (B, K) with K = "
              + LossConfig.K.name()
              + " = "
              + config.k()
              + ", got "
              + anchors);
    }
    Shape negative = new Shape(anchors.get(0));
    if (!refLogpAnchors.getShape().equals(anchors)) {
      throw new IllegalArgumentException(
          "refLogpAnchors must have the shape of policyLogpAnchors "
              + anchors
              + ", got "
              + refLogpAnchors.getShape());
    }
    if (!policyLogpNegative.getShape().equals(negative)
        || !refLogpNegative.getShape().equals(negative)) {
      throw new IllegalArgumentException(
          "policyLogpNegative and refLogpNegative must be "
              + negative
              + ", got "
              + policyLogpNegative.getShape()
              + " and "
              + refLogpNegative.getShape());
    }
  }
}
