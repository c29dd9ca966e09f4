package dev.d2o.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.bench.Stats;
import dev.d2o.infer.GenerationBench;
import dev.d2o.infer.GenerationBench.Decoder;
import dev.d2o.model.CausalLM;
import dev.d2o.spark.bench.BenchReport;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The generation parts of {@code d2o bench}: {@code generate} and {@code anchors}. */
final class GenerationParts {
  private final int iterations;
  private final int newTokens;
  private final boolean cacheOnly;

  GenerationParts(int iterations, int newTokens, boolean cacheOnly) {
    this.iterations = iterations;
    this.newTokens = newTokens;
    this.cacheOnly = cacheOnly;
  }

  /**
   * Batch 1 and 16 prompts of 16 tokens, one sample each: the generator, the decoder it replaced
   * (same run, repetitions alternating) and, unless {@code --cache-only}, the generator without the
   * cache (once: minutes at 124M). The note gives the milliseconds per generated token of a row (a
   * decoding step, the prompt pass spread over the steps).
   */
  void generate(CausalLM model, String name, ObjectNode json, BenchReport report) {
    ArrayNode g = json.putArray("generate");
    List<Decoder> decoders =
        cacheOnly
            ? List.of(Decoder.CURRENT, Decoder.BASELINE)
            : List.of(Decoder.CURRENT, Decoder.BASELINE, Decoder.NO_CACHE);
    for (Decoder d : decoders) {
      GenerationBench.measure(model, 2, 16, 4, d); // warm-up
    }
    for (int batch : new int[] {1, 16}) {
      // repetitions alternate between the decoders, so that each sees the same load
      double[][] sec = new double[decoders.size()][iterations];
      for (int i = 0; i < iterations; i++) {
        for (int j = 0; j < decoders.size(); j++) {
          Decoder d = decoders.get(j);
          if (d != Decoder.NO_CACHE || i == 0) {
            sec[j][i] = GenerationBench.measure(model, batch, 16, newTokens, d).seconds();
          }
        }
      }
      for (int j = 0; j < decoders.size(); j++) {
        Decoder d = decoders.get(j);
        int reps = d == Decoder.NO_CACHE ? 1 : iterations;
        Stats s = new Stats(java.util.Arrays.copyOf(sec[j], reps));
        double tps = batch * (double) newTokens / s.min();
        g.addObject()
            .put("batch", batch)
            .put("decoder", d.name().toLowerCase(Locale.ROOT))
            .put("cache", d != Decoder.NO_CACHE)
            .put("prompt", 16)
            .put("new_tokens", newTokens)
            .put("tokens_per_s", tps)
            .put("ms_per_step", 1e3 * s.min() / newTokens)
            .set("call", BenchReport.stats(s));
        System.out.printf("  generate batch %d %s: %.1f tokens/s%n", batch, d, tps);
        report.row(
            "generate, batch " + batch + ", " + DECODER_LABEL.get(d) + ", 16 + " + newTokens,
            name,
            String.format("%.1f tokens/s", tps),
            String.format(
                "%.1f ms per step; %s",
                1e3 * s.min() / newTokens,
                reps > 1
                    ? String.format("median %.1f tokens/s", batch * (double) newTokens / s.median())
                    : "one run"));
      }
    }
  }

  /**
   * The anchors stage's generation of one group ({@link GenerationBench#ANCHOR_PROMPTS} prompts × K
   * = 11, 64-token prompts, 64 new tokens) with the generator and with the decoder it replaced,
   * repetitions alternating so both see the same load; {@code anchors.speedup} is the ratio of
   * their tokens/s.
   */
  void anchors(CausalLM model, String name, ObjectNode json, BenchReport report) {
    int prompts = GenerationBench.ANCHOR_PROMPTS;
    int k = GenerationBench.ANCHOR_SAMPLES;
    int len = 64;
    for (Decoder d : List.of(Decoder.CURRENT, Decoder.BASELINE)) {
      GenerationBench.anchors(model, 1, 2, len, 2, d); // warm-up
    }
    double[] current = new double[iterations];
    double[] baseline = new double[iterations];
    for (int i = 0; i < iterations; i++) {
      current[i] = GenerationBench.anchors(model, prompts, k, len, len, Decoder.CURRENT).seconds();
      baseline[i] =
          GenerationBench.anchors(model, prompts, k, len, len, Decoder.BASELINE).seconds();
    }
    Stats cur = new Stats(current);
    Stats base = new Stats(baseline);
    double tokens = (double) prompts * k * len;
    double speedup = base.min() / cur.min();
    ObjectNode a = json.putObject("anchors");
    a.put("prompts", prompts).put("samples_per_prompt", k).put("prompt", len);
    a.put("new_tokens", len).put("tokens_per_call", (long) tokens);
    a.put("tokens_per_s", tokens / cur.min()).put("baseline_tokens_per_s", tokens / base.min());
    a.put("speedup", speedup);
    a.set("call", BenchReport.stats(cur));
    a.set("baseline_call", BenchReport.stats(base));
    System.out.printf(
        "  anchors %d × %d: %.1f tokens/s vs %.1f before: ×%.2f%n",
        prompts, k, tokens / cur.min(), tokens / base.min(), speedup);
    report.row(
        "anchors, " + prompts + " prompts × K = " + k + ", 64 + 64 (the stage's generator)",
        name,
        String.format("%.1f tokens/s, ×%.2f", tokens / cur.min(), speedup),
        String.format(
            "before (per-sample prefill, growing cache, Java sampler, %d-row batches): %.1f tokens/s;"
                + " medians %.1f vs %.1f",
            prompts, tokens / base.min(), tokens / cur.median(), tokens / base.median()));
  }

  private static final Map<Decoder, String> DECODER_LABEL =
      Map.of(
          Decoder.CURRENT, "KV cache",
          Decoder.BASELINE, "KV cache, before issue 19",
          Decoder.NO_CACHE, "no cache");
}
