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
 * Generation throughput for {@code d2o bench}: the generator against the decoder it replaced
 * ({@link Decoder#BASELINE}: every sample prefilled alone, a cache grown by concatenation, sampling
 * in Java), and without the key/value cache. Not part of the test run (a smoke test calls it on a
 * tiny model). By hand, for a GPT-2-124M-shaped random model: {@code java -cp ...
 * dev.d2o.infer.GenerationBench [newTokens] [promptLen]}.
 */
public final class GenerationBench {
  /** Samples per prompt in the anchors measurement: the paper's K. */
  public static final int ANCHOR_SAMPLES = 11;

  /**
   * Prompts of one anchors measurement: one generation group at {@code anchors.batchSize}'s
   * default.
   */
  public static final int ANCHOR_PROMPTS = 8;

  /** Which decoder a measurement runs. */
  public enum Decoder {
    /** The generator as it is: shared prefill, preallocated cache, sampling on the engine. */
    CURRENT,
    /** The decoder before issue 19, kept reachable for this comparison. */
    BASELINE,
    /** The current generator recomputing the whole sequence every step (no cache). */
    NO_CACHE;

    Generator apply(Generator g) {
      return switch (this) {
        case CURRENT -> g;
        case BASELINE -> g.withMode(Generator.Mode.BASELINE);
        case NO_CACHE -> g.withoutCache();
      };
    }
  }

  /** One measurement. */
  public record Result(
      int batch, int promptLen, int newTokens, Decoder decoder, int samples, double seconds) {
    /** Generated tokens per second over the whole call (prompt pass included). */
    public double tokensPerSecond() {
      return batch * (double) samples * newTokens / seconds;
    }

    @Override
    public String toString() {
      return String.format(
          "prompts %3d × %2d samples  prompt %3d  new %4d  %-8s  %8.2f s  %9.1f tokens/s",
          batch, samples, promptLen, newTokens, decoder, seconds, tokensPerSecond());
    }
  }

  private GenerationBench() {}

  /**
   * Times one generate call of {@code batch} prompts of {@code promptLen} random tokens, one sample
   * each, all in one sub-batch, exactly {@code newTokens} new tokens per row (EOS is banned through
   * {@code min_new_tokens}), temperature 1.
   */
  public static Result measure(
      CausalLM model, int batch, int promptLen, int newTokens, Decoder decoder) {
    Generator g = decoder.apply(new Generator(model, null, batch, Integer.MAX_VALUE));
    return time(g, model, batch, 1, promptLen, newTokens, decoder);
  }

  /**
   * Times the anchors stage's generation of one group: {@code prompts} prompts × {@code k} samples
   * through {@link Generator#forPromptGroups} (the stage's own generator) for {@link
   * Decoder#CURRENT}; for {@link Decoder#BASELINE}, the generator as the stage built it before
   * (sub-batches of {@code prompts} rows, {@code anchors.batchSize} rows being what it passed).
   */
  public static Result anchors(
      CausalLM model, int prompts, int k, int promptLen, int newTokens, Decoder decoder) {
    Generator g =
        decoder == Decoder.CURRENT
            ? Generator.forPromptGroups(model, null, prompts, k)
            : decoder.apply(new Generator(model, null, prompts, Generator.TOKEN_BUDGET_DEFAULT));
    return time(g, model, prompts, k, promptLen, newTokens, decoder);
  }

  private static Result time(
      Generator g,
      CausalLM model,
      int prompts,
      int k,
      int promptLen,
      int newTokens,
      Decoder decoder) {
    Random rnd = new Random(prompts * 31L + promptLen);
    List<GenerationRequest> reqs = new ArrayList<>(prompts);
    for (int i = 0; i < prompts; i++) {
      int[] p = new int[promptLen];
      for (int j = 0; j < promptLen; j++) {
        p[j] = rnd.nextInt(model.config().vocabSize());
      }
      reqs.add(new GenerationRequest("bench-" + i, p));
    }
    SamplingConfig cfg = new SamplingConfig(1.0, 1.0, 0, newTokens, newTokens, 1.0, 0);
    long t0 = System.nanoTime();
    g.generate(reqs, k, cfg);
    double s = (System.nanoTime() - t0) / 1e9;
    return new Result(prompts, promptLen, newTokens, decoder, k, s);
  }

  /**
   * Batch 1 and 16 with the current generator, the baseline and without the cache, then the anchors
   * group with the current generator and the baseline, after one short warm-up call per decoder;
   * each result also goes to {@code progress} as it completes.
   */
  public static List<Result> suite(
      CausalLM model, int promptLen, int newTokens, Consumer<Result> progress) {
    for (Decoder d : Decoder.values()) {
      measure(model, 2, promptLen, 4, d);
    }
    List<Result> out = new ArrayList<>();
    for (int batch : new int[] {1, 16}) {
      for (Decoder d : Decoder.values()) {
        out.add(measure(model, batch, promptLen, newTokens, d));
        progress.accept(out.get(out.size() - 1));
      }
    }
    for (Decoder d : new Decoder[] {Decoder.CURRENT, Decoder.BASELINE}) {
      out.add(anchors(model, ANCHOR_PROMPTS, ANCHOR_SAMPLES, promptLen, newTokens, d));
      progress.accept(out.get(out.size() - 1));
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
