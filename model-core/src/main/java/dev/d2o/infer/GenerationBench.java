package dev.d2o.infer;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.ModelFamilies;
import dev.d2o.model.ModelFamily.Size;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.Consumer;

/**
 * Generation throughput, with and without the key/value cache, for the benchmark issue to call. Not
 * part of the test run (a smoke test calls it on a tiny model). By hand, for a GPT-2-124M-shaped
 * random model: {@code java -cp ... dev.d2o.infer.GenerationBench [newTokens] [promptLen]}.
 */
public final class GenerationBench {
  /** One measurement. */
  public record Result(int batch, int promptLen, int newTokens, boolean cache, double seconds) {
    /** Generated tokens per second over the whole call (prompt pass included). */
    public double tokensPerSecond() {
      return batch * (double) newTokens / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          "batch %3d  prompt %3d  new %4d  cache %-5s  %8.2f s  %9.1f tokens/s",
          batch, promptLen, newTokens, cache, seconds, tokensPerSecond());
    }
  }

  private GenerationBench() {}

  /**
   * Times one generate call of {@code batch} prompts of {@code promptLen} random tokens, one sample
   * each, exactly {@code newTokens} new tokens per row (EOS is banned through {@code
   * min_new_tokens}), temperature 1.
   */
  public static Result measure(
      CausalLM model, int batch, int promptLen, int newTokens, boolean cache) {
    Random rnd = new Random(batch * 31L + promptLen);
    List<GenerationRequest> reqs = new ArrayList<>(batch);
    for (int i = 0; i < batch; i++) {
      int[] p = new int[promptLen];
      for (int j = 0; j < promptLen; j++) {
        p[j] = rnd.nextInt(model.config().vocabSize());
      }
      reqs.add(new GenerationRequest("bench-" + i, p));
    }
    SamplingConfig cfg = new SamplingConfig(1.0, 1.0, 0, newTokens, newTokens, 1.0, 0);
    Generator g = new Generator(model, null, batch, Integer.MAX_VALUE);
    if (!cache) {
      g = g.withoutCache();
    }
    long t0 = System.nanoTime();
    g.generate(reqs, 1, cfg);
    return new Result(batch, promptLen, newTokens, cache, (System.nanoTime() - t0) / 1e9);
  }

  /**
   * Batch 1 and 16, with and without the cache, after one short warm-up call per mode; each result
   * also goes to {@code progress} as it completes.
   */
  public static List<Result> suite(
      CausalLM model, int promptLen, int newTokens, Consumer<Result> progress) {
    measure(model, 2, promptLen, 4, true);
    measure(model, 2, promptLen, 4, false);
    List<Result> out = new ArrayList<>();
    for (int batch : new int[] {1, 16}) {
      for (boolean cache : new boolean[] {true, false}) {
        Result r = measure(model, batch, promptLen, newTokens, cache);
        progress.accept(r);
        out.add(r);
      }
    }
    return out;
  }

  /** GPT-2 small's shape: 12 layers, 768 wide, 12 heads, vocabulary 50257, 1024 positions. */
  public static ModelConfig gpt2Small() {
    return ModelFamilies.get("gpt2").config(Size.of(768, 12, 12, 1024), 50257, 50256, 50256);
  }

  /**
   * Prints {@link #suite} for a random GPT-2-124M-shaped model: args [newTokens=128]
   * [promptLen=16].
   */
  public static void main(String[] args) {
    int newTokens = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    int promptLen = args.length > 1 ? Integer.parseInt(args[1]) : 16;
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = CausalLM.random(gpt2Small(), 0, manager)) {
      System.out.println(
          "gpt2-124m-shaped random model, "
              + model.config().parameterCount()
              + " parameters, "
              + Runtime.getRuntime().availableProcessors()
              + " CPUs");
      suite(model, promptLen, newTokens, System.out::println);
    }
  }
}
