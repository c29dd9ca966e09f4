package dev.d2o.infer;

/**
 * Log-probs of one response.
 *
 * @param logp sum of the response tokens' log-probs (summed in double from the fp32 token values)
 * @param tokens number of response tokens
 * @param tokenLogps per-token log-probs, in order
 */
public record ScoreResult(double logp, int tokens, float[] tokenLogps) {}
