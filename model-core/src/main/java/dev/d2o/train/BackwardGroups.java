package dev.d2o.train;

import dev.d2o.infer.ScoreRequest;
import java.util.ArrayList;
import java.util.List;

/**
 * Consecutive sequences of a chunk that are back-propagated together ({@code
 * train.tokensPerBackward}): a group grows while its padded size (sequences × the longest one)
 * stays within the budget, and holds at least one sequence. A budget of 0 makes the whole chunk one
 * group.
 */
final class BackwardGroups {
  private BackwardGroups() {}

  /** The groups of {@code seqs} as [from, to) index pairs, in order. */
  static List<int[]> of(List<ScoreRequest> seqs, int tokens) {
    List<int[]> out = new ArrayList<>();
    if (tokens <= 0) {
      out.add(new int[] {0, seqs.size()});
      return out;
    }
    int from = 0;
    int longest = 0;
    for (int i = 0; i < seqs.size(); i++) {
      int len = seqs.get(i).length();
      int wider = Math.max(longest, len);
      if (i > from && (long) wider * (i - from + 1) > tokens) {
        out.add(new int[] {from, i});
        from = i;
        wider = len;
      }
      longest = wider;
    }
    out.add(new int[] {from, seqs.size()});
    return out;
  }
}
