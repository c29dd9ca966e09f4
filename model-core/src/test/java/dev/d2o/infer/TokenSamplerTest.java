package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The Java-side draw: distribution, truncation, penalties and log-probs on hand-made logits. */
class TokenSamplerTest {
  /** ln of probabilities 0.5, 0.3, 0.15, 0.05: softmax gives them back exactly. */
  static final float[] LOGITS = {
    (float) Math.log(0.5), (float) Math.log(0.3), (float) Math.log(0.15), (float) Math.log(0.05)
  };

  @Test
  void temperatureOneDrawsTheSoftmax() {
    int[] counts = histogram(SamplingConfig.defaults(), 20_000);
    double[] p = {0.5, 0.3, 0.15, 0.05};
    for (int i = 0; i < 4; i++) {
      double sd = Math.sqrt(p[i] * (1 - p[i]) / 20_000);
      assertEquals(p[i], counts[i] / 20_000.0, 5 * sd, "token " + i);
    }
  }

  @Test
  void topPKeepsTheSmallestNucleusAndRenormalises() {
    // 0.5 + 0.3 ≥ 0.7: tokens 0 and 1 remain, with probabilities 0.625 and 0.375
    SamplingConfig cfg = SamplingConfig.defaults().withTopPK(0.7, 0);
    int[] counts = histogram(cfg, 20_000);
    assertEquals(0, counts[2] + counts[3]);
    assertEquals(0.625, counts[0] / 20_000.0, 0.02);
    TokenSampler s = new TokenSampler(cfg, new int[0], 4);
    for (int i = 0; i < 50; i++) {
      TokenSampler.Draw d = s.draw(LOGITS, 0, new BitSet(), 0, new SplittableRandom(i));
      assertEquals(Math.log(d.token() == 0 ? 0.625 : 0.375), d.logp(), 1e-6);
    }
  }

  @Test
  void topKKeepsTheKMostLikely() {
    int[] counts = histogram(SamplingConfig.defaults().withTopPK(1, 3), 20_000);
    assertEquals(0, counts[3]);
    assertEquals(0.5 / 0.95, counts[0] / 20_000.0, 0.02);
  }

  @Test
  void temperatureScalesTheLogitsAndZeroIsArgmax() {
    SamplingConfig cfg = SamplingConfig.defaults().withTemperature(0.5);
    TokenSampler s = new TokenSampler(cfg, new int[0], 4);
    double z = 0.25 + 0.09 + 0.0225 + 0.0025; // Σ p² : softmax(log p / 0.5) = p² / Σ p²
    TokenSampler.Draw d = s.draw(LOGITS, 0, new BitSet(), 0, new SplittableRandom(1));
    double p = Math.exp(2 * LOGITS[d.token()]);
    assertEquals(Math.log(p / z), d.logp(), 1e-6);
    TokenSampler greedy = new TokenSampler(SamplingConfig.greedy(4), new int[0], 4);
    assertEquals(
        new TokenSampler.Draw(0, 0.0),
        greedy.draw(LOGITS, 0, new BitSet(), 0, new SplittableRandom(1)));
  }

  @Test
  void repetitionPenaltyAndMinNewTokens() {
    float[] logits = {2f, 1.5f, -1f, 1.8f};
    BitSet seen = new BitSet();
    seen.set(0);
    seen.set(2);
    // CTRL penalty 2: token 0 → 1.0, token 2 → −2.0; token 3 (1.8) wins
    SamplingConfig pen = SamplingConfig.greedy(8).withMinNewTokensAndPenalty(0, 2.0);
    assertEquals(
        3,
        new TokenSampler(pen, new int[0], 4)
            .draw(logits, 0, seen, 0, new SplittableRandom(0))
            .token());
    // token 3 as EOS is banned before 2 new tokens, allowed from then on
    SamplingConfig min = SamplingConfig.greedy(8).withMinNewTokensAndPenalty(2, 2.0);
    TokenSampler s = new TokenSampler(min, new int[] {3}, 4);
    assertEquals(1, s.draw(logits, 0, seen, 1, new SplittableRandom(0)).token());
    assertEquals(3, s.draw(logits, 0, seen, 2, new SplittableRandom(0)).token());
  }

  @Test
  void drawReadsItsRowAtTheOffsetAndUsesOneUniform() {
    float[] two = new float[8];
    System.arraycopy(LOGITS, 0, two, 4, 4);
    TokenSampler s = new TokenSampler(SamplingConfig.defaults(), new int[0], 4);
    SplittableRandom a = new SplittableRandom(9);
    SplittableRandom b = new SplittableRandom(9);
    assertEquals(s.draw(LOGITS, 0, new BitSet(), 0, a), s.draw(two, 4, new BitSet(), 0, b));
    assertEquals(a.nextLong(), b.nextLong());
    // inverse CDF in vocabulary order: the token whose interval of [0, .5, .8, .95, 1) holds the
    // first uniform
    double u = new SplittableRandom(0).nextDouble();
    int expected = u < 0.5 ? 0 : u < 0.8 ? 1 : u < 0.95 ? 2 : 3;
    assertEquals(expected, s.draw(LOGITS, 0, new BitSet(), 0, new SplittableRandom(0)).token());
  }

  private static int[] histogram(SamplingConfig cfg, int n) {
    TokenSampler s = new TokenSampler(cfg, new int[0], 4);
    SplittableRandom rng = new SplittableRandom(123);
    int[] counts = new int[4];
    for (int i = 0; i < n; i++) {
      counts[s.draw(LOGITS, 0, new BitSet(), 0, rng).token()]++;
    }
    assertTrue(counts[0] > 0);
    return counts;
  }
}
