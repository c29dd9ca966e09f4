package dev.d2o.infer;

import dev.d2o.model.ModelException;

/**
 * How each token is drawn, and when a sample stops. Validated on construction: an error names the
 * key, the value and what is allowed. The order of the logit transforms is Hugging Face's:
 * repetition penalty, the {@code min_new_tokens} EOS ban, temperature, top-k, top-p.
 *
 * @param temperature divides the logits; 0 is greedy (argmax, ties to the lowest id)
 * @param topP nucleus sampling: keep the most likely tokens whose probabilities sum to at least
 *     {@code topP}; 1 is off
 * @param topK keep the {@code topK} most likely tokens; 0 is off
 * @param maxNewTokens most tokens generated per sample (EOS included)
 * @param minNewTokens EOS is banned until this many tokens have been generated
 * @param repetitionPenalty CTRL's penalty (Keskar et al. 2019) on every token already in the prompt
 *     or the sample: positive logits are divided by it, negative ones multiplied; 1 is off
 * @param seed run seed; sample j of example {@code id} uses the stream {@link
 *     SampleStream#of}(seed, id, j)
 */
public record SamplingConfig(
    double temperature,
    double topP,
    int topK,
    int maxNewTokens,
    int minNewTokens,
    double repetitionPenalty,
    long seed) {
  /** Default temperature. */
  public static final double TEMPERATURE_DEFAULT = 1.0;

  /** Default top-p (off). */
  public static final double TOP_P_DEFAULT = 1.0;

  /** Default top-k (off). */
  public static final int TOP_K_DEFAULT = 0;

  /** Default maximum of new tokens. */
  public static final int MAX_NEW_TOKENS_DEFAULT = 64;

  /** Default minimum of new tokens. */
  public static final int MIN_NEW_TOKENS_DEFAULT = 0;

  /** Default repetition penalty (off). */
  public static final double REPETITION_PENALTY_DEFAULT = 1.0;

  /** Default seed. */
  public static final long SEED_DEFAULT = 0;

  /** Validates every field. */
  public SamplingConfig {
    if (!(temperature >= 0) || Double.isInfinite(temperature)) {
      throw invalid("temperature", temperature, "must be a finite number ≥ 0 (0 = greedy)");
    }
    if (!(topP > 0 && topP <= 1)) {
      throw invalid("top_p", topP, "must be in (0, 1] (1 = off)");
    }
    if (topK < 0) {
      throw invalid("top_k", topK, "must be ≥ 0 (0 = off)");
    }
    if (maxNewTokens < 1) {
      throw invalid("max_new_tokens", maxNewTokens, "must be ≥ 1");
    }
    if (minNewTokens < 0 || minNewTokens > maxNewTokens) {
      throw invalid(
          "min_new_tokens", minNewTokens, "must be in [0, max_new_tokens = " + maxNewTokens + "]");
    }
    if (!(repetitionPenalty > 0) || Double.isInfinite(repetitionPenalty)) {
      throw invalid(
          "repetition_penalty", repetitionPenalty, "must be a finite number > 0 (1 = off)");
    }
  }

  /** The defaults: temperature 1, no top-p/top-k, 64 new tokens, no minimum, no penalty, seed 0. */
  public static SamplingConfig defaults() {
    return new SamplingConfig(
        TEMPERATURE_DEFAULT,
        TOP_P_DEFAULT,
        TOP_K_DEFAULT,
        MAX_NEW_TOKENS_DEFAULT,
        MIN_NEW_TOKENS_DEFAULT,
        REPETITION_PENALTY_DEFAULT,
        SEED_DEFAULT);
  }

  /** Greedy decoding of up to {@code maxNewTokens} tokens. */
  public static SamplingConfig greedy(int maxNewTokens) {
    return defaults().withTemperature(0).withMaxNewTokens(maxNewTokens);
  }

  /** Whether tokens are argmax rather than drawn. */
  public boolean isGreedy() {
    return temperature == 0;
  }

  /** A copy with another temperature. */
  public SamplingConfig withTemperature(double t) {
    return new SamplingConfig(t, topP, topK, maxNewTokens, minNewTokens, repetitionPenalty, seed);
  }

  /** A copy with another top-p and top-k. */
  public SamplingConfig withTopPK(double p, int k) {
    return new SamplingConfig(
        temperature, p, k, maxNewTokens, minNewTokens, repetitionPenalty, seed);
  }

  /** A copy with another maximum of new tokens (the minimum is lowered to fit). */
  public SamplingConfig withMaxNewTokens(int n) {
    return new SamplingConfig(
        temperature,
        topP,
        topK,
        n,
        Math.min(minNewTokens, Math.max(n, 0)),
        repetitionPenalty,
        seed);
  }

  /** A copy with another minimum of new tokens and repetition penalty. */
  public SamplingConfig withMinNewTokensAndPenalty(int min, double penalty) {
    return new SamplingConfig(temperature, topP, topK, maxNewTokens, min, penalty, seed);
  }

  /** A copy with another seed. */
  public SamplingConfig withSeed(long s) {
    return new SamplingConfig(
        temperature, topP, topK, maxNewTokens, minNewTokens, repetitionPenalty, s);
  }

  private static ModelException invalid(String key, Object value, String allowed) {
    return new ModelException(key + " = " + value + " is invalid: " + allowed);
  }
}
