package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Pins the per-sample seed: the numbers were computed independently in Python by
 * src/test/resources/golden-scripts/sample_stream_pin.py (FNV-1a, fmix64, and SplittableRandom's
 * first nextDouble re-implemented).
 */
class SampleStreamTest {
  @Test
  void seedsArePinned() {
    assertEquals(8055065172555429275L, SampleStream.seedOf(0, "a", 0));
    assertEquals(-1422780368985776252L, SampleStream.seedOf(42, "ex-7", 3));
    assertEquals(-9114614740696749567L, SampleStream.seedOf(-1, "é", 0));
    assertEquals(0.15321308679150625, SampleStream.of(0, "a", 0).nextDouble());
    assertEquals(0.2732955008900164, SampleStream.of(42, "ex-7", 3).nextDouble());
    assertEquals(0.7769015526256835, SampleStream.of(-1, "é", 0).nextDouble());
  }

  @Test
  void seedIdAndIndexEachChangeTheStream() {
    Set<Long> seeds = new HashSet<>();
    for (long s = 0; s < 4; s++) {
      for (String id : new String[] {"a", "b", "ab", "ba", ""}) {
        for (int j = 0; j < 4; j++) {
          seeds.add(SampleStream.seedOf(s, id, j));
        }
      }
    }
    assertEquals(4 * 5 * 4, seeds.size());
    assertNotEquals(SampleStream.seedOf(1, "a", 0), SampleStream.seedOf(0, "a", 1));
  }
}
