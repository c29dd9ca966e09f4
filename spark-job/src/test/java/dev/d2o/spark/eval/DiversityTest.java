package dev.d2o.spark.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** distinct-n against counts done by hand. */
class DiversityTest {
  @Test
  void corpusLevelCountsByHand() {
    List<int[]> gens = List.of(new int[] {1, 2, 3, 1, 2}, new int[] {2, 3, 4}, new int[] {5});
    // unigrams: 1 2 3 1 2 | 2 3 4 | 5 -> 9 in all; unique {1,2,3,4,5} = 5 -> 5/9
    assertEquals(5.0 / 9, Diversity.distinct(gens, 1), 1e-12);
    // bigrams: (1,2)(2,3)(3,1)(1,2) | (2,3)(3,4) | none -> 6 in all; unique
    // {(1,2),(2,3),(3,1),(3,4)} = 4 -> 4/6
    assertEquals(4.0 / 6, Diversity.distinct(gens, 2), 1e-12);
    // trigrams: (1,2,3)(2,3,1)(3,1,2) | (2,3,4) -> 4, all unique -> 1
    assertEquals(1.0, Diversity.distinct(gens, 3), 1e-12);
  }

  @Test
  void ngramsDoNotCrossGenerations() {
    // joined, [1,2][1,2] would hold the bigram (2,1); apart they hold (1,2) twice: 1 unique of 2
    assertEquals(0.5, Diversity.distinct(List.of(new int[] {1, 2}, new int[] {1, 2}), 2), 1e-12);
  }

  @Test
  void repeatedTokenAndEmptyInputs() {
    // 7 7 7 7: unigrams 4, unique 1 -> 1/4; bigrams (7,7) ×3, unique 1 -> 1/3
    assertEquals(0.25, Diversity.distinct(List.of(new int[] {7, 7, 7, 7}), 1), 1e-12);
    assertEquals(1.0 / 3, Diversity.distinct(List.of(new int[] {7, 7, 7, 7}), 2), 1e-12);
    assertEquals(
        0.0, Diversity.distinct(List.of(new int[0], new int[] {3}), 2), "no bigram at all");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Diversity.distinct(List.of(), 0));
    assertEquals("n must be ≥ 1, got 0", e.getMessage());
  }
}
