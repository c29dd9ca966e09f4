package dev.d2o.datagen;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The single most class-predictive word of a labeled text set: among words found in at least {@code
 * minShare} of the texts, the one whose presence predicts one class with the highest precision. A
 * value near 1 would mean one word gives the class away and a bag-of-words cost model could be a
 * keyword match; the generator keeps it low.
 *
 * @param word the word (lower case)
 * @param label the class its presence predicts (1 = harmful)
 * @param precision the share of texts containing it that have that label
 * @param texts how many texts contain it
 */
public record WordCue(String word, int label, double precision, int texts) {

  /** A text with its label (1 = harmful). */
  public record Labeled(String text, int label) {}

  /** Finds the cue; fails when no word reaches the support threshold. */
  public static WordCue strongest(List<Labeled> data, double minShare) {
    List<WordCue> ranked = ranking(data, minShare);
    if (ranked.isEmpty()) {
      throw new IllegalArgumentException(
          "no word occurs in at least "
              + (int) Math.ceil(minShare * data.size())
              + " of "
              + data.size()
              + " texts");
    }
    return ranked.get(0);
  }

  /**
   * Every word with enough support, most predictive first (ties: more texts first, then
   * alphabetical).
   */
  public static List<WordCue> ranking(List<Labeled> data, double minShare) {
    Map<String, int[]> counts = new HashMap<>();
    for (Labeled l : data) {
      Set<String> words =
          new HashSet<>(List.of(l.text().toLowerCase(Locale.ROOT).split("[^a-z']+")));
      words.remove("");
      for (String w : words) {
        counts.computeIfAbsent(w, k -> new int[2])[l.label() == 1 ? 1 : 0]++;
      }
    }
    int minTexts = (int) Math.ceil(minShare * data.size());
    List<WordCue> out = new ArrayList<>();
    for (Map.Entry<String, int[]> e : counts.entrySet()) {
      int[] c = e.getValue();
      int n = c[0] + c[1];
      if (n < minTexts) {
        continue;
      }
      int label = c[1] > c[0] ? 1 : 0;
      out.add(new WordCue(e.getKey(), label, (double) c[label] / n, n));
    }
    out.sort(
        Comparator.comparingDouble(WordCue::precision)
            .reversed()
            .thenComparing(Comparator.comparingInt(WordCue::texts).reversed())
            .thenComparing(WordCue::word));
    return out;
  }
}
