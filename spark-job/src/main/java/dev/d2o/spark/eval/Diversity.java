package dev.d2o.spark.eval;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for Neural Conversation
 * Models"): the number of unique n-grams divided by the total number of n-grams, counted over all
 * generations together (corpus level). Units are generated <em>token ids</em> (the tokenizer's
 * vocabulary, not whitespace words), with the final EOS removed; n-grams never cross the boundary
 * between two generations.
 */
public final class Diversity {
  private Diversity() {}

  /** distinct-n of {@code generations}; 0 when they hold no n-gram at all. */
  public static double distinct(List<int[]> generations, int n) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be ≥ 1, got " + n);
    }
    Set<List<Integer>> unique = new HashSet<>();
    long total = 0;
    for (int[] g : generations) {
      for (int i = 0; i + n <= g.length; i++) {
        Integer[] gram = new Integer[n];
        for (int j = 0; j < n; j++) {
          gram[j] = g[i + j];
        }
        unique.add(Arrays.asList(gram));
        total++;
      }
    }
    return total == 0 ? 0 : (double) unique.size() / total;
  }
}
