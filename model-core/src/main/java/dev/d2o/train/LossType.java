package dev.d2o.train;

import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/** The objectives of ARCHITECTURE.md §2, by their configuration names ({@code loss=}). */
public enum LossType {
  /** Distributional D²O, the paper's Eq. 3: mean over the K anchors inside σ. */
  D2O("d2o"),
  /** Instance-level D²O: mean over the K anchors outside log σ. */
  D2O_INSTANCE("d2o-instance"),
  /** DPO with the first anchor as the chosen response. */
  DPO("dpo"),
  /** Negative preference optimization: negatives only. */
  NPO("npo"),
  /** Gradient ascent on the negatives' per-token NLL. */
  GA("ga");

  private final String key;

  LossType(String key) {
    this.key = key;
  }

  /** The configuration name. */
  public String key() {
    return key;
  }

  /** All configuration names. */
  public static List<String> keys() {
    return Arrays.stream(values()).map(LossType::key).toList();
  }

  /**
   * Parses a configuration name; an unknown one is an error naming the allowed values and the
   * nearest.
   */
  public static LossType parse(String name) {
    for (LossType t : values()) {
      if (t.key.equals(name)) {
        return t;
      }
    }
    String nearest =
        keys().stream()
            .min(Comparator.comparingInt(k -> editDistance(k, String.valueOf(name))))
            .orElseThrow();
    throw new IllegalArgumentException(
        LossConfig.KEY_TYPE
            + " must be one of "
            + keys()
            + ", got '"
            + name
            + "' (did you mean '"
            + nearest
            + "'?)");
  }

  /** Levenshtein distance, for "did you mean" suggestions (also the job configuration's). */
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

  @Override
  public String toString() {
    return key;
  }
}
