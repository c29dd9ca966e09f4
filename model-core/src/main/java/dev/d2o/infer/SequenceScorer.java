package dev.d2o.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Sequence log-probs: log π(y|x) = Σ over response tokens of log softmax(logits)[token], in fp32
 * with the prompt masked out. Rows are grouped by length to limit padding and returned in input
 * order.
 */
public final class SequenceScorer {
  private final CausalLM model;
  private final int batchSize;
  private final LengthPolicy policy;

  public SequenceScorer(CausalLM model, int batchSize, LengthPolicy policy) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be ≥ 1, got " + batchSize);
    }
    this.model = model;
    this.batchSize = batchSize;
    this.policy = policy;
  }

  /**
   * Per-token log-probs of the response tokens inside the autograd graph: (B, T−1), zero outside
   * responses. Sum over axis 1 for sequence log-probs. Runs with gradients when the caller holds a
   * gradient collector.
   */
  public static NDArray tokenLogps(CausalLM model, PaddedBatch batch) {
    NDArray hidden = model.hidden(batch.ids, batch.positions, batch.mask, null); // (B, T, E)
    return model.tokenLogps(hidden, batch.targets, batch.responseMask, batch.firstTarget);
  }

  /** Scores {@code requests} without gradients. */
  public List<ScoreResult> score(List<ScoreRequest> requests) {
    List<ScoreRequest> fitted = new ArrayList<>(requests.size());
    for (ScoreRequest r : requests) {
      fitted.add(policy.apply(r, model.config().maxPositions()));
    }
    Integer[] order = new Integer[fitted.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.comparingInt((Integer i) -> fitted.get(i).length()).reversed());
    ScoreResult[] out = new ScoreResult[fitted.size()];
    for (int start = 0; start < order.length; start += batchSize) {
      int end = Math.min(order.length, start + batchSize);
      List<ScoreRequest> chunk = new ArrayList<>();
      for (int i = start; i < end; i++) {
        chunk.add(fitted.get(order[i]));
      }
      List<ScoreResult> res = scoreBatch(chunk);
      for (int i = start; i < end; i++) {
        out[order[i]] = res.get(i - start);
      }
    }
    return Arrays.asList(out);
  }

  private List<ScoreResult> scoreBatch(List<ScoreRequest> rows) {
    try (NDManager m = model.manager().newSubManager()) {
      PaddedBatch batch = PaddedBatch.of(m, rows, model);
      float[] flat = tokenLogps(model, batch).toFloatArray(); // (B, T-1) row-major
      int w = batch.width() - 1;
      List<ScoreResult> out = new ArrayList<>(rows.size());
      for (int i = 0; i < rows.size(); i++) {
        ScoreRequest r = rows.get(i);
        int p = r.promptIds().length;
        int n = r.responseIds().length;
        float[] tok = new float[n];
        double sum = 0;
        for (int j = 0; j < n; j++) {
          tok[j] = flat[i * w + p - 1 + j]; // target index p+j is predicted at position p+j-1
          sum += tok[j];
        }
        out.add(new ScoreResult(sum, n, tok));
      }
      return out;
    }
  }
}
