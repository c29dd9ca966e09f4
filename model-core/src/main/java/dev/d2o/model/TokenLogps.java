package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;

/**
 * Per-token log-probs of response tokens from final hidden states: log softmax(logits)[target], in
 * F32, masked to the response. Scoring ({@code SequenceScorer}) and the layer-by-layer backward
 * ({@link LayerBackward}) both compute them here, so they agree bit for bit.
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
    picked = picked.mul(responseMask.get(window));
    if (first == 0) {
      return picked;
    }
    long b = hidden.getShape().get(0);
    NDArray prompt = picked.getManager().zeros(new Shape(b, first)); // no response token there
    return NDArrays.concat(new NDList(prompt, picked), 1); // (B, T-1)
  }
}
