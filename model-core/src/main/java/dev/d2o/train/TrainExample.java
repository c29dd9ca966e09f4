package dev.d2o.train;

import java.io.Serializable;

/**
 * One training row of ARCHITECTURE.md §4, as token ids: a prompt, the human negative, K anchors
 * sampled from the sampling policy, and the reference log-probs of the anchors and of the negative
 * (computed once, by the anchors stage). Responses end with EOS; prompts are scored as context
 * only.
 *
 * @param id names the row in messages
 * @param promptIds x
 * @param negativeIds y⁻
 * @param anchorIds y₁…y_K
 * @param refLogpAnchors log π_r−(yᵢ|x), one per anchor
 * @param refLogpNegative log π_r+(y⁻|x)
 */
public record TrainExample(
    String id,
    int[] promptIds,
    int[] negativeIds,
    int[][] anchorIds,
    double[] refLogpAnchors,
    double refLogpNegative)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  public TrainExample {
    if (anchorIds.length != refLogpAnchors.length) {
      throw new IllegalArgumentException(
          "row "
              + id
              + ": "
              + anchorIds.length
              + " anchors but "
              + refLogpAnchors.length
              + " reference log-probs of anchors");
    }
  }

  /** Number of anchors. */
  public int k() {
    return anchorIds.length;
  }

  /** Tokens this row feeds through the model: K + 1 sequences, prompt included each time. */
  public long tokens() {
    long n = (long) promptIds.length + negativeIds.length;
    for (int[] a : anchorIds) {
      n += promptIds.length + a.length;
    }
    return n;
  }

  /** The same row with other reference log-probs (a reference refresh, or tests). */
  public TrainExample withReference(double[] refLogpAnchors, double refLogpNegative) {
    return new TrainExample(id, promptIds, negativeIds, anchorIds, refLogpAnchors, refLogpNegative);
  }
}
