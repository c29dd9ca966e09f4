package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Per-token log-probs of response tokens from final hidden states: log softmax(logits)[target], in
 * F32, masked to the response. Scoring ({@code SequenceScorer}) and the layer-by-layer backward
 * ({@link LayerBackward}) both compute them here, so they agree bit for bit.
 *
 * <p>Without a graph and with a half-precision head, the logits are never held whole: the head is
 * widened a slice of the vocabulary at a time anyway (see {@code Weights.head}), so each slice's
 * logits give their log-sum-exp and the targets that fall in the slice, and the slices'
 * log-sum-exps are combined (log(eᵃ + eᵇ)). A group of 256 positions of a 128256-token vocabulary
 * otherwise holds three F32 copies of its logits at once (the slices, their concatenation, the
 * log-softmax): 394 MB, where one slice's logits are 8 MB at width 2048.
 */
final class TokenLogps {
  private TokenLogps() {}

  /**
   * Log-probs of the targets (B, T−1) from hidden states (B, T, E), zero outside responses, and,
   * when {@code lse} is not null, the log-sum-exp of each scored position's logits into {@code
   * lse[0]} ((B, T−1−f), from position f on).
   *
   * @param targets (B, T−1) int64, the token each position predicts
   * @param responseMask (B, T−1) 1 where the target belongs to a response
   * @param first f, the first position that predicts a response token in some row
   */
  static NDArray of(
      CausalLM model,
      NDArray hidden,
      NDArray targets,
      NDArray responseMask,
      int first,
      NDArray[] lse) {
    NDArray head = model.param(model.config().family().outputWeight(model.config())); // (V, E)
    if (head.getDataType() != DataType.FLOAT32 && !NoGrad.isRecording()) {
      long rows = Math.max(1, Weights.HEAD_SLICE_VALUES / head.getShape().get(1));
      return streamed(model, hidden, targets, responseMask, first, lse, rows);
    }
    return materialized(model, hidden, targets, responseMask, first, lse);
  }

  /** As {@link #of}, the full logits (B, T−1−f, V) held at once: the path a graph needs. */
  static NDArray materialized(
      CausalLM model,
      NDArray hidden,
      NDArray targets,
      NDArray responseMask,
      int first,
      NDArray[] lse) {
    // The vocabulary projection and log-softmax are the costliest ops of a small model (V = 50257
    // at E = 768): run them only from the first position that predicts a response token.
    String window = ":, " + first + ":";
    NDArray logits = model.logits(hidden.get(":, " + first + ":-1, :")); // (B, T-1-f, V)
    NDArray logp = logits.logSoftmax(-1); // (B, T-1-f, V), fp32
    NDArray index = targets.get(window).expandDims(-1); // (B, T-1-f, 1)
    NDArray picked = logp.gather(index, -1).squeeze(-1); // (B, T-1-f)
    if (lse != null) {
      lse[0] = logits.gather(index, -1).squeeze(-1).sub(picked); // z_y − (z_y − lse)
    }
    return masked(hidden, picked, responseMask, first);
  }

  /**
   * As {@link #of}, the head's vocabulary {@code rows} at a time (without a graph): at most one
   * slice's logits (B, T−1−f, rows) exist at once.
   */
  static NDArray streamed(
      CausalLM model,
      NDArray hidden,
      NDArray targets,
      NDArray responseMask,
      int first,
      NDArray[] lse,
      long rows) {
    ModelConfig c = model.config();
    NDArray w = model.param(c.family().outputWeight(c)); // (V, E)
    NDArray h = hidden.get(":, " + first + ":-1, :").toDevice(w.getDevice(), false); // (B, T', E)
    NDArray y = targets.get(":, " + first + ":").toDevice(w.getDevice(), false); // (B, T')
    long vocab = w.getShape().get(0);
    NDArray total = null; // log Σ_v e^{z_v} over the slices so far (B, T')
    NDArray zy = null; // z_y where y fell in a slice so far, else 0 (B, T')
    for (long from = 0; from < vocab; from += rows) {
      long n = Math.min(rows, vocab - from);
      try (NDScope scope = new NDScope()) {
        NDArray wide = w.get("{}:{}", from, from + n).toType(DataType.FLOAT32, false); // (n, E)
        NDArray z = c.family().capLogits(c, CausalLM.linear(h, wide, null)); // (B, T', n)
        NDArray max = z.max(new int[] {-1}); // (B, T')
        NDArray part = z.sub(max.expandDims(-1)).exp().sum(new int[] {-1}).log().add(max);
        NDArray local = y.sub(y.getManager().create(from)); // target index within the slice
        NDArray inSlice = local.gte(0).logicalAnd(local.lt(n)).toType(DataType.FLOAT32, false);
        NDArray index = local.clip(0, n - 1).expandDims(-1); // (B, T', 1)
        NDArray picked = z.gather(index, -1).squeeze(-1).mul(inSlice); // (B, T')
        NDArray nextTotal = total == null ? part : logAddExp(total, part);
        NDArray nextZy = zy == null ? picked : zy.add(picked);
        NDScope.unregister(nextTotal, nextZy);
        closeAll(total, zy);
        total = nextTotal;
        zy = nextZy;
      }
    }
    NDArray picked = zy.sub(total); // log softmax(z)[y] (B, T')
    zy.close();
    if (lse != null) {
      lse[0] = total;
    } else {
      total.close();
    }
    return masked(hidden, picked, responseMask.toDevice(w.getDevice(), false), first);
  }

  /** log(eᵃ + eᵇ), elementwise, without overflow. */
  private static NDArray logAddExp(NDArray a, NDArray b) {
    NDArray m = a.maximum(b);
    return a.sub(m).exp().add(b.sub(m).exp()).log().add(m);
  }

  /** {@code picked} (B, T−1−f) masked to the response and padded with zeros to (B, T−1). */
  private static NDArray masked(NDArray hidden, NDArray picked, NDArray responseMask, int first) {
    picked = picked.mul(responseMask.get(":, " + first + ":"));
    if (first == 0) {
      return picked;
    }
    long b = hidden.getShape().get(0);
    NDArray prompt = picked.getManager().zeros(new Shape(b, first)); // no response token there
    return NDArrays.concat(new NDList(prompt, picked), 1); // (B, T-1)
  }

  private static void closeAll(NDArray... arrays) {
    for (NDArray a : arrays) {
      if (a != null) {
        a.close();
      }
    }
  }
}
