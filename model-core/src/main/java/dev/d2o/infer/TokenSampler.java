package dev.d2o.infer;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/**
 * Draws one token from one row's float logits in Java, so that the draw depends only on the row's
 * logits and its own random stream. The draw is an inverse CDF over the kept probabilities in
 * vocabulary order: a logit that moves in its last bits (another batch shape, another matmul
 * kernel) moves each cumulative boundary by as little, so it can change the token only when the
 * uniform lands within that distance of a boundary.
 */
final class TokenSampler {
  /** A drawn token and its log-prob under the sampling distribution. */
  record Draw(int token, double logp) {}

  private final SamplingConfig config;
  private final int[] eosIds;
  private final double[] probs;
  private long[] keys;

  TokenSampler(SamplingConfig config, int[] eosIds, int vocab) {
    this.config = config;
    this.eosIds = eosIds.clone();
    this.probs = new double[vocab];
  }

  /**
   * Draws from {@code logits[offset, offset + V)}.
   *
   * @param seen tokens in the prompt or the sample so far (for the repetition penalty)
   * @param generated tokens generated so far (for {@code min_new_tokens})
   * @param rng the sample's stream: exactly one {@code nextDouble()} per call, greedy included
   */
  Draw draw(float[] logits, int offset, BitSet seen, int generated, SplittableRandom rng) {
    double u = rng.nextDouble();
    int v = probs.length;
    double[] x = probs;
    for (int i = 0; i < v; i++) {
      x[i] = logits[offset + i];
    }
    if (config.repetitionPenalty() != 1.0) {
      double pen = config.repetitionPenalty();
      for (int i = seen.nextSetBit(0); i >= 0 && i < v; i = seen.nextSetBit(i + 1)) {
        x[i] = x[i] > 0 ? x[i] / pen : x[i] * pen;
      }
    }
    if (generated < config.minNewTokens()) {
      for (int e : eosIds) {
        x[e] = Double.NEGATIVE_INFINITY;
      }
    }
    if (config.isGreedy()) {
      return new Draw(argmax(x), 0.0); // a point mass: log 1
    }
    double max = x[argmax(x)];
    double inv = 1.0 / config.temperature();
    for (int i = 0; i < v; i++) {
      x[i] = Math.exp((x[i] - max) * inv); // unnormalised, the largest is 1
    }
    if ((config.topK() > 0 && config.topK() < v) || config.topP() < 1.0) {
      truncate(x);
    }
    double total = 0;
    for (int i = 0; i < v; i++) {
      total += x[i];
    }
    double target = u * total;
    double cum = 0;
    int pick = -1;
    for (int i = 0; i < v; i++) {
      if (x[i] > 0) {
        pick = i;
        cum += x[i];
        if (target < cum) {
          break;
        }
      }
    }
    return new Draw(pick, Math.log(x[pick] / total));
  }

  /**
   * Zeroes every token outside the top-k, then outside the smallest most-likely set of mass ≥
   * top-p.
   */
  private void truncate(double[] x) {
    int v = x.length;
    if (keys == null) {
      keys = new long[v];
    }
    // sort key: probability (as float bits, monotone for non-negative floats) high, then token id
    // low
    for (int i = 0; i < v; i++) {
      keys[i] = ((long) Float.floatToIntBits((float) x[i]) << 32) | (Integer.MAX_VALUE - i);
    }
    Arrays.sort(keys);
    int k = config.topK() > 0 ? Math.min(config.topK(), v) : v;
    double kept = 0;
    for (int r = 0; r < k; r++) {
      kept += x[idOf(keys[v - 1 - r])];
    }
    double cum = 0;
    int last = 0; // rank of the last kept token
    for (int r = 0; r < k; r++) {
      cum += x[idOf(keys[v - 1 - r])];
      last = r;
      if (cum >= config.topP() * kept) {
        break;
      }
    }
    for (int r = last + 1; r < v; r++) {
      x[idOf(keys[v - 1 - r])] = 0;
    }
  }

  private static int idOf(long key) {
    return Integer.MAX_VALUE - (int) key;
  }

  private static int argmax(double[] x) {
    int best = 0;
    for (int i = 1; i < x.length; i++) {
      if (x[i] > x[best]) {
        best = i;
      }
    }
    return best;
  }
}
