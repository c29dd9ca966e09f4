package dev.d2o.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.d2o.model.AttentionMask;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelException;
import java.util.List;

/**
 * Prompt+response sequences right-padded into one batch, with the targets and the response mask for
 * scoring. Each row's positions are 0..n−1 and padding keys are masked, so a row's log-prob does
 * not depend on its batch.
 */
public final class PaddedBatch {
  final NDArray ids; // (B, T) int64
  final NDArray positions; // (B, T) int64
  final AttentionMask mask;
  final NDArray targets; // (B, T-1) int64: the token each position predicts
  final NDArray responseMask; // (B, T-1) float: 1 where the predicted token belongs to the response
  final int[] responseLengths;
  final int width;
  // the first target index that is a response token in some row (0 when none is)
  final int firstTarget;

  private PaddedBatch(
      NDArray ids,
      NDArray positions,
      AttentionMask mask,
      NDArray targets,
      NDArray responseMask,
      int[] responseLengths,
      int width,
      int firstTarget) {
    this.ids = ids;
    this.positions = positions;
    this.mask = mask;
    this.targets = targets;
    this.responseMask = responseMask;
    this.responseLengths = responseLengths;
    this.width = width;
    this.firstTarget = firstTarget;
  }

  /**
   * Packs {@code rows}; every token id is checked against the vocabulary and every row against the
   * context.
   */
  public static PaddedBatch of(NDManager manager, List<ScoreRequest> rows, CausalLM model) {
    int vocab = model.config().vocabSize();
    int b = rows.size();
    int t = 1;
    for (ScoreRequest r : rows) {
      check(r, vocab, model.config().maxPositions());
      t = Math.max(t, r.length());
    }
    long[] ids = new long[b * t];
    long[] pos = new long[b * t];
    long[] tgt = new long[b * (t - 1)];
    float[] resp = new float[b * (t - 1)];
    boolean[][] valid = new boolean[b][t];
    int[] respLen = new int[b];
    int first = Integer.MAX_VALUE;
    for (int i = 0; i < b; i++) {
      ScoreRequest r = rows.get(i);
      int p = r.promptIds().length;
      int n = r.length();
      respLen[i] = r.responseIds().length;
      if (respLen[i] > 0) {
        // target j − 1 is token j: the first response token is target p − 1
        first = Math.min(first, p - 1);
      }
      for (int j = 0; j < t; j++) {
        long id = j < p ? r.promptIds()[j] : j < n ? r.responseIds()[j - p] : 0;
        ids[i * t + j] = id;
        pos[i * t + j] = j < n ? j : 0;
        valid[i][j] = j < n;
        if (j > 0) {
          tgt[i * (t - 1) + j - 1] = id;
          resp[i * (t - 1) + j - 1] = (j >= p && j < n) ? 1f : 0f;
        }
      }
    }
    Shape s = new Shape(b, t);
    return new PaddedBatch(
        manager.create(ids, s),
        manager.create(pos, s),
        AttentionMask.of(manager, valid, t, model.config()),
        manager.create(tgt, new Shape(b, t - 1)),
        manager.create(resp, new Shape(b, t - 1)),
        respLen,
        t,
        first == Integer.MAX_VALUE ? 0 : first);
  }

  private static void check(ScoreRequest r, int vocab, int maxPositions) {
    if (r.promptIds().length == 0 && r.responseIds().length > 0) {
      throw new ModelException(
          "row "
              + r.label()
              + ": the prompt has no tokens, so the first response token has no"
              + " context; give a prompt or let the model's BOS be prepended");
    }
    checkIds(r.label(), "prompt", r.promptIds(), vocab);
    checkIds(r.label(), "response", r.responseIds(), vocab);
    if (r.length() > maxPositions) {
      throw new ModelException(
          "row "
              + r.label()
              + ": "
              + r.length()
              + " tokens exceed the model's context of "
              + maxPositions);
    }
  }

  static void checkIds(String label, String part, int[] ids, int vocab) {
    for (int j = 0; j < ids.length; j++) {
      if (ids[j] < 0 || ids[j] >= vocab) {
        throw new ModelException(
            "row "
                + label
                + ": "
                + part
                + " token id "
                + ids[j]
                + " at index "
                + j
                + " is outside the model's vocabulary [0, "
                + vocab
                + ")");
      }
    }
  }

  /** Token ids (B, T), int64. */
  public NDArray ids() {
    return ids;
  }

  /** Position ids (B, T), int64. */
  public NDArray positions() {
    return positions;
  }

  /** The attention mask of the batch. */
  public AttentionMask mask() {
    return mask;
  }

  /** The token each position predicts (B, T−1), int64. */
  public NDArray targets() {
    return targets;
  }

  /** 1 where the predicted token belongs to the response (B, T−1). */
  public NDArray responseMask() {
    return responseMask;
  }

  /** The first target index that is a response token in some row. */
  public int firstTarget() {
    return firstTarget;
  }

  /** Number of rows. */
  public int size() {
    return responseLengths.length;
  }

  /** Padded length T. */
  public int width() {
    return width;
  }
}
