package dev.d2o.infer;

import java.util.Arrays;
import java.util.BitSet;
import java.util.SplittableRandom;

/** The decoding state of one sample: its prompt, its own random stream, the tokens drawn so far. */
final class SampleRow {
  final int request;
  final int index;
  final int[] prompt;
  final SplittableRandom rng;
  final int limit;
  final BitSet seen = new BitSet();
  private int[] tokens;
  private int count;
  private double logp;
  private boolean eos;

  SampleRow(int request, int index, int[] prompt, SplittableRandom rng, int limit) {
    this.request = request;
    this.index = index;
    this.prompt = prompt;
    this.rng = rng;
    this.limit = limit;
    this.tokens = new int[Math.min(limit, 64)];
    for (int t : prompt) {
      seen.set(t);
    }
  }

  /**
   * Appends a drawn token; returns whether the sample is finished (EOS, or {@link #limit} tokens).
   */
  boolean accept(int token, double tokenLogp, boolean isEos) {
    if (count == tokens.length) {
      tokens = Arrays.copyOf(tokens, Math.min(limit, 2 * count));
    }
    tokens[count++] = token;
    seen.set(token);
    logp += tokenLogp;
    eos = isEos;
    return isEos || count >= limit;
  }

  /** Tokens generated so far. */
  int count() {
    return count;
  }

  /** The last generated token. */
  int last() {
    return tokens[count - 1];
  }

  /**
   * Token {@code j} of prompt + sample; past the end, the last token (a finished row that stays in
   * its batch until the next compaction keeps feeding its last token, whose output is ignored).
   */
  int tokenAt(int j) {
    return j < prompt.length ? prompt[j] : tokens[Math.min(j - prompt.length, count - 1)];
  }

  /**
   * The position of token {@code j}: {@code j}, capped at the last token's (see {@link #tokenAt}).
   */
  int positionOf(int j) {
    return Math.min(j, prompt.length + count - 1);
  }

  /** Whether the sample is finished (EOS, or {@link #limit} tokens). */
  boolean finished() {
    return eos || count >= limit;
  }

  int[] tokens() {
    return Arrays.copyOf(tokens, count);
  }

  double logp() {
    return logp;
  }

  boolean stoppedAtEos() {
    return eos;
  }
}
