package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW, clipping and the schedules against hand-computed values. */
class OptimizerTest {
  /**
   * lr 0.1, β₁ 0.9, β₂ 0.999, λ 0.01, g = [0.5, −0.1] twice. Step 1: m = (1−β₁)g = [0.05, −0.01], v
   * = (1−β₂)g² = [2.5e-4, 1e-5], m̂ = g, v̂ = g², so the step is lr·g/|g| = ±0.1 (ε = 1e-8 is below
   * fp32 resolution here). With decay: 1·(1 − 0.1·0.01) − 0.1 = 0.899, −2·0.999 + 0.1 = −1.898.
   * Step 2: m̂ = 0.095/0.19 = 0.5, v̂ = 4.9975e-4/0.001999 = 0.25 → again ±0.1: 0.899·0.999 − 0.1 =
   * 0.798101. The bias is not decayed: 1 − 0.1 − 0.1.
   */
  @Test
  void adamWMatchesHandComputation() {
    AdamW adam =
        new AdamW(
            List.of("h.0.mlp.c_fc.weight", "h.0.mlp.c_fc.bias"),
            new int[] {2, 1},
            0.9,
            0.999,
            1e-8,
            0.01,
            AdamW.matching(AdamW.NO_DECAY_DEFAULT));
    float[][] w = {{1f, -2f}, {1f}};
    float[][] g = {{0.5f, -0.1f}, {0.5f}};
    adam.step(w, g, 0.1);
    assertArrayEquals(new float[] {0.899f, -1.898f}, w[0], 1e-6f);
    adam.step(w, g, 0.1);
    assertArrayEquals(new float[] {0.798101f, -1.898f * 0.999f + 0.1f}, w[0], 1e-6f);
    assertArrayEquals(new float[] {0.8f}, w[1], 1e-6f);
    assertEquals(2, adam.steps());
  }

  @Test
  void decayExclusionsCoverBiasesNormsAndEmbeddings() {
    List<String> names =
        List.of(
            "transformer.wte.weight",
            "transformer.wpe.weight",
            "transformer.h.0.ln_1.weight",
            "transformer.h.0.attn.c_attn.bias",
            "transformer.ln_f.weight",
            "model.embed_tokens.weight",
            "model.layers.0.input_layernorm.weight",
            "model.norm.weight",
            "transformer.h.0.attn.c_attn.weight",
            "model.layers.0.self_attn.q_proj.weight",
            "lm_head.weight");
    AdamW adam =
        new AdamW(
            names,
            new int[names.size()],
            0.9,
            0.999,
            1e-8,
            0.1,
            AdamW.matching(AdamW.NO_DECAY_DEFAULT));
    for (int p = 0; p < names.size(); p++) {
      assertEquals(p >= 8, adam.decays(p), names.get(p));
    }
  }

  @Test
  void clippingScalesToTheGlobalNormAndReportsTheNormBefore() {
    float[][] g = {{3f}, {4f}}; // ‖g‖ = √(9 + 16) = 5
    assertEquals(5.0, Clipping.clipByGlobalNorm(g, 1.0), 0.0);
    assertArrayEquals(new float[] {0.6f}, g[0], 1e-6f); // 3 · 1/(5 + 1e-6)
    assertArrayEquals(new float[] {0.8f}, g[1], 1e-6f);
    float[][] small = {{0.3f}, {0.4f}};
    assertEquals(0.5, Clipping.clipByGlobalNorm(small, 1.0), 1e-7);
    assertArrayEquals(new float[] {0.3f}, small[0], 0f); // below the threshold: untouched
    assertFalse(Double.isFinite(Clipping.clipByGlobalNorm(new float[][] {{Float.NaN}}, 1.0)));
  }

  @Test
  void schedulesWarmUpThenDecay() {
    // peak 1, warmup 2, total 10: warmup gives (s+1)/2; then progress = (s − 2)/8
    LrSchedule cos = new LrSchedule(LrSchedule.Kind.COSINE, 1.0, 2, 10);
    assertEquals(0.5, cos.lr(0), 1e-12);
    assertEquals(1.0, cos.lr(1), 1e-12);
    assertEquals(1.0, cos.lr(2), 1e-12);
    assertEquals(0.5, cos.lr(6), 1e-12); // progress 0.5: (1 + cos π/2)/2
    assertEquals(0.0, cos.lr(10), 1e-12);
    assertEquals(0.5, new LrSchedule(LrSchedule.Kind.LINEAR, 1.0, 2, 10).lr(6), 1e-12); // 1 − 0.5
    assertEquals(1.0, new LrSchedule(LrSchedule.Kind.CONSTANT, 1.0, 2, 10).lr(9), 1e-12);
    assertTrue(cos.lr(20) >= 0);
  }
}
