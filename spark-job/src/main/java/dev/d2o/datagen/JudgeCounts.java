package dev.d2o.datagen;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Counts of the judge's labels over a set of responses, and the rates the evaluation reports. Not
 * thread-safe; {@link #merge} combines partial counts.
 */
public final class JudgeCounts {
  private final EnumMap<JudgeLabel, Long> counts = new EnumMap<>(JudgeLabel.class);

  public JudgeCounts() {
    for (JudgeLabel l : JudgeLabel.values()) {
      counts.put(l, 0L);
    }
  }

  /** Counts one verdict; returns this. */
  public JudgeCounts add(Verdict v) {
    return add(v.label());
  }

  /** Counts one label; returns this. */
  public JudgeCounts add(JudgeLabel l) {
    counts.merge(l, 1L, Long::sum);
    return this;
  }

  /** Adds the other counts to these; returns this. */
  public JudgeCounts merge(JudgeCounts other) {
    other.counts.forEach((l, n) -> counts.merge(l, n, Long::sum));
    return this;
  }

  /** Responses counted. */
  public long total() {
    return counts.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Responses with this label. */
  public long count(JudgeLabel l) {
    return counts.get(l);
  }

  /** Share of responses with this label (NaN when nothing was counted). */
  public double rate(JudgeLabel l) {
    return total() == 0 ? Double.NaN : (double) count(l) / total();
  }

  /** Share of responses that are texts of the grammar (every label but malformed). */
  public double wellFormedRate() {
    return total() == 0 ? Double.NaN : 1.0 - rate(JudgeLabel.MALFORMED);
  }

  /**
   * The rates under their metric names: {@code judge/helpful_rate}, {@code judge/harmful_rate},
   * {@code judge/off_topic_rate}, {@code judge/malformed_rate}, {@code judge/unknown_topic_rate},
   * {@code judge/wellformed_rate}.
   */
  public Map<String, Double> metrics() {
    Map<String, Double> out = new LinkedHashMap<>();
    for (JudgeLabel l : JudgeLabel.values()) {
      out.put("judge/" + l.key().replace('-', '_') + "_rate", rate(l));
    }
    out.put("judge/wellformed_rate", wellFormedRate());
    return out;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (JudgeLabel l : JudgeLabel.values()) {
      sb.append(sb.length() == 0 ? "" : ", ").append(l.key()).append(' ').append(count(l));
    }
    return sb.append(" of ").append(total()).toString();
  }
}
