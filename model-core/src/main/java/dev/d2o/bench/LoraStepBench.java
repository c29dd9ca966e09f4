package dev.d2o.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;

/**
 * The LoRA train step of {@code d2o bench} with the frozen base stored in F32 and in F16, on the
 * same shape, batch and adapters: tokens per second and the process's peak resident memory.
 *
 * <p>The F16 base is what {@code model.dtype = float16} loads. On a CPU its cost is compute, not
 * memory: each layer's weights are widened to F32 when the layer runs (half-precision products are
 * slow on this engine), and the backward runs layer by layer from saved layer inputs, running each
 * layer's forward a second time. On a GPU the products would run in half precision; that path is
 * not measured here.
 */
public final class LoraStepBench {
  /** The adapters' rank (q, k, v, o or GPT-2's c_attn, c_proj: the family's defaults). */
  public static final int RANK = 16;

  /**
   * Padded tokens per backward group: one 256-token sequence at a time, as the 1B run of the docs.
   */
  public static final int TOKENS_PER_BACKWARD = ModelBench.PROMPT + ModelBench.RESPONSE;

  /**
   * One measurement.
   *
   * @param base the frozen base's storage type
   * @param baseBytes bytes of the base's weights as stored
   * @param adapterParameters trainable parameters (the adapters)
   * @param train the step's timings (tokens per step, phases)
   * @param rssBeforeBytes resident set with the base built, before the first step
   * @param peakRssBytes peak resident set during the steps (warm-up included)
   * @param peakOwn whether the peak is this measurement's own (reset before it) rather than the
   *     process's
   */
  public record Result(
      DataType base,
      long baseBytes,
      long adapterParameters,
      ModelBench.TrainResult train,
      long rssBeforeBytes,
      long peakRssBytes,
      boolean peakOwn) {
    /** Tokens per second of the fastest step. */
    public double tokensPerSecond() {
      return train.tokensPerSecond();
    }
  }

  private LoraStepBench() {}

  /**
   * Builds a random model of {@code shape} with its base stored as {@code base} (F32 or F16), adds
   * fresh rank-16 adapters, and times {@code warmup + iterations} D²O steps (one row, K = 3, 4 ×
   * 256 tokens) that train the adapters; everything is released before it returns.
   */
  public static Result measure(
      BenchShape shape, DataType base, int warmup, int iterations, NDManager parent) {
    try (NDManager m = parent.newSubManager()) {
      CausalLM model = ModelBench.randomModel(shape, m, base);
      long baseBytes = 0;
      for (NDArray a : model.parameters().values()) {
        baseBytes += a.size() * a.getDataType().getNumOfBytes();
      }
      LoraConfig lora = LoraConfig.of(RANK, RANK, 0, LoraConfig.AUTO);
      CausalLM policy = model.withAdapters(LoraAdapters.init(model.config(), lora, 0, m));
      long adapters = policy.trainableParameters().values().stream().mapToLong(NDArray::size).sum();
      boolean own = PeakRss.reset();
      long before = PeakRss.currentBytes();
      ModelBench.TrainResult r =
          ModelBench.trainStep(policy, warmup, iterations, TOKENS_PER_BACKWARD);
      long peak = PeakRss.peakBytes();
      policy.close();
      return new Result(base, baseBytes, adapters, r, before, peak, own);
    }
  }
}
