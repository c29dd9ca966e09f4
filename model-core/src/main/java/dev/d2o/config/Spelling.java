package dev.d2o.config;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;

/** "Did you mean …?" suggestions for unknown names (configuration keys, loss names). */
public final class Spelling {
  private Spelling() {}

  /**
   * The candidate closest to {@code name} by edit distance (the first on a tie), compared in lower
   * case when {@code ignoreCase}.
   */
  public static String nearest(String name, Collection<String> candidates, boolean ignoreCase) {
    String n = ignoreCase ? name.toLowerCase(Locale.ROOT) : name;
    return candidates.stream()
        .min(
            Comparator.comparingInt(
                c -> editDistance(n, ignoreCase ? c.toLowerCase(Locale.ROOT) : c)))
        .orElseThrow();
  }

  /** Levenshtein distance. */
  public static int editDistance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
