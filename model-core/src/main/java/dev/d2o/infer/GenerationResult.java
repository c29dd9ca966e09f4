package dev.d2o.infer;

import java.util.List;

/**
 * The samples of one prompt, in sample-index order.
 *
 * @param id the request's id
 * @param samples sample 0 … K−1
 */
public record GenerationResult(String id, List<Sample> samples) {
  /**
   * One generated continuation.
   *
   * @param tokenIds the generated tokens without the prompt, ending with EOS when EOS was generated
   * @param text the decoded tokens (special tokens skipped), or null when no tokenizer was given
   * @param logp sum of the tokens' log-probs under the sampling distribution (after repetition
   *     penalty, the min-new-tokens EOS ban, temperature, top-k and top-p); 0 for greedy decoding
   * @param stoppedAtEos whether the sample ended with EOS (otherwise it hit max_new_tokens or the
   *     context)
   */
  public record Sample(int[] tokenIds, String text, double logp, boolean stoppedAtEos) {}
}
