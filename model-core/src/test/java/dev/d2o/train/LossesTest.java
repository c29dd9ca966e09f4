package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every loss on two hand-made examples. B = 2, K = 2, β = 0.5, α = 0.25:
 *
 * <pre>
 *   example 0: policyLogpAnchors [-1, -3], refLogpAnchors [-2, -2] → Δ = [ 1, -1]
 *              policyLogpNegative -4,      refLogpNegative -2      → Δ⁻ = -2,  |y⁻| = 4
 *   example 1: policyLogpAnchors [-2, -2], refLogpAnchors [-3, -5] → Δ = [ 1,  3]
 *              policyLogpNegative -6,      refLogpNegative -7      → Δ⁻ =  1,  |y⁻| = 3
 * </pre>
 *
 * Expected values: −log σ(x) = log(1 + e^{−x}), evaluated in Python 3 float64 with {@code
 * math.log}/{@code math.exp}.
 */
class LossesTest {
  private static final double TOL = 1e-6; // fp32 arithmetic against float64 references
  private static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static float[] run(String type) {
    return output(type).losses().toFloatArray();
  }

  private static LossOutput output(String type) {
    NDArray policyLogpAnchors =
        manager.create(new float[] {-1, -3, -2, -2}, new Shape(2, 2)); // (B, K)
    NDArray refLogpAnchors =
        manager.create(new float[] {-2, -2, -3, -5}, new Shape(2, 2)); // (B, K)
    NDArray policyLogpNegative = manager.create(new float[] {-4, -6}); // (B)
    NDArray refLogpNegative = manager.create(new float[] {-2, -7}); // (B)
    NDArray negativeTokens = manager.create(new float[] {4, 3}); // (B)
    return Losses.compute(
        LossConfig.of(type, 0.5, 0.25, 2),
        policyLogpAnchors,
        refLogpAnchors,
        policyLogpNegative,
        refLogpNegative,
        negativeTokens);
  }

  @Test
  void d2o() {
    // z0 = 0.5·mean(1, −1) − 0.25·(−2) = 0.5  → log(1 + e^−0.5)  = 0.4740769841801067
    // z1 = 0.5·mean(1, 3)  − 0.25·1    = 0.75 → log(1 + e^−0.75) = 0.3868710061149
    assertArrayEquals(new float[] {0.4740769841801067f, 0.3868710061149f}, run("d2o"), (float) TOL);
  }

  @Test
  void d2oInstance() {
    // ex0: margins 0.5·1 + 0.5 = 1, 0.5·(−1) + 0.5 = 0        → (log(1+e^−1) + log 2)/2       =
    // 0.5032044340390841
    // ex1: margins 0.5·1 − 0.25 = 0.25, 0.5·3 − 0.25 = 1.25   → (log(1+e^−0.25) + log(1+e^−1.25))/2
    // = 0.4139342506121083
    assertArrayEquals(
        new float[] {0.5032044340390841f, 0.4139342506121083f}, run("d2o-instance"), (float) TOL);
  }

  @Test
  void dpoUsesTheFirstAnchor() {
    // ex0: 0.5·(Δ₁ − Δ⁻) = 0.5·(1 + 2) = 1.5 → log(1 + e^−1.5) = 0.20141327798275246
    // ex1: 0.5·(1 − 1) = 0                   → log 2           = 0.6931471805599453
    assertArrayEquals(
        new float[] {0.20141327798275246f, 0.6931471805599453f}, run("dpo"), (float) TOL);
  }

  @Test
  void npo() {
    // −(2/β)·log σ(−βΔ⁻) = 4·log(1 + e^{βΔ⁻})
    // ex0: −βΔ⁻ = 1    → 4·log(1 + e^−1)  = 1.2530467500728915
    // ex1: −βΔ⁻ = −0.5 → 4·log(1 + e^0.5) = 3.8963079367204267
    assertArrayEquals(
        new float[] {1.2530467500728915f, 3.8963079367204267f}, run("npo"), (float) TOL);
  }

  @Test
  void gaIsTheNegativesPerTokenLogp() {
    // −4 / 4 = −1, −6 / 3 = −2
    assertArrayEquals(new float[] {-1f, -2f}, run("ga"), 0f);
  }

  @Test
  void rewardMetricsAreTheD2oQuantities() {
    LossOutput out = output("dpo");
    // rewards/anchors = β·meanΔ: 0.5·0 = 0, 0.5·2 = 1; rewards/negative = α·Δ⁻: −0.5, 0.25; margin
    // = difference
    assertArrayEquals(new float[] {0f, 1f}, out.rewardsAnchors().toFloatArray(), 0f);
    assertArrayEquals(new float[] {-0.5f, 0.25f}, out.rewardsNegative().toFloatArray(), 0f);
    assertArrayEquals(new float[] {0.5f, 0.75f}, out.margin().toFloatArray(), 0f);
  }

  /**
   * At θ = reference every Δ is exactly 0, z = 0, and the loss is log(1 + e⁰) = ln 2 to the last
   * fp32 bit.
   */
  @ParameterizedTest
  @ValueSource(strings = {"d2o", "d2o-instance", "dpo"})
  void lnTwoAtTheReference(String type) {
    NDArray logp =
        manager.create(
            new float[] {-3.25f, -17.5f, -8.125f, -0.75f, -11f, -40.5f}, new Shape(2, 3));
    NDArray negative = manager.create(new float[] {-9.5f, -23.25f});
    LossOutput out =
        Losses.compute(
            LossConfig.of(type, 0.1, 0.1, 3),
            logp,
            logp.duplicate(),
            negative,
            negative.duplicate(),
            manager.create(new float[] {5, 7}));
    float ln2 = (float) Math.log(2);
    assertArrayEquals(new float[] {ln2, ln2}, out.losses().toFloatArray(), 0f);
    assertArrayEquals(new float[] {0f, 0f}, out.margin().toFloatArray(), 0f);
  }

  @Test
  void logSigmoidIsStableForLargeMargins() {
    float[] got = Losses.logSigmoid(manager.create(new float[] {-1000f, 1000f, 0f})).toFloatArray();
    // log σ(−1000) = −1000 exactly in fp32; log σ(1000) = −log(1 + e^−1000) = 0; log σ(0) = −ln 2
    assertArrayEquals(new float[] {-1000f, 0f, (float) -Math.log(2)}, got, 0f);
  }

  @Test
  void jensenDistributionalLossIsAtMostInstanceLoss() {
    // the paper's bound: log σ(mean zᵢ) ≥ mean log σ(zᵢ), so d2o ≤ d2o-instance (here with α·Δ⁻
    // inside both)
    float[] d2o = run("d2o");
    float[] inst = run("d2o-instance");
    for (int i = 0; i < d2o.length; i++) {
      assertTrue(d2o[i] <= inst[i], "example " + i + ": " + d2o[i] + " > " + inst[i]);
    }
  }

  @Test
  void shapeErrorsNameTheTensor() {
    NDArray a = manager.zeros(new Shape(2, 3));
    NDArray n = manager.zeros(new Shape(2));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> Losses.compute(LossConfig.of("d2o", 0.1, 0.1, 2), a, a, n, n, n));
    assertEquals("policyLogpAnchors must be (B, K) with K = k = 2, got (2, 3)", e.getMessage());
  }
}
