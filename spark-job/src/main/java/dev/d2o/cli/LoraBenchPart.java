package dev.d2o.cli;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.bench.BenchShape;
import dev.d2o.bench.LoraStepBench;
import dev.d2o.spark.bench.BenchReport;
import java.util.List;
import java.util.Locale;

/**
 * The {@code lora} part of {@code d2o bench}: the LoRA train step with the frozen base in F16
 * beside the same step with the base in F32, one shape, one process ({@link LoraStepBench}). Each
 * peak is the process's resident set, reset before the measurement. The F16 base runs first, so its
 * peak holds nothing of the F32 run; the F32 run's may include memory that the C allocator kept
 * from the F16 run (freed, not returned to the system).
 */
final class LoraBenchPart {
  private static final double MB = 1024.0 * 1024.0;

  private LoraBenchPart() {}

  static void run(
      BenchShape shape, int iterations, NDManager manager, ObjectNode json, BenchReport report) {
    ObjectNode out = json.putObject("lora");
    out.put("rank", LoraStepBench.RANK);
    out.put("tokens_per_backward", LoraStepBench.TOKENS_PER_BACKWARD);
    double[] tps = new double[2];
    List<DataType> order = List.of(DataType.FLOAT16, DataType.FLOAT32);
    for (int i = 0; i < order.size(); i++) {
      DataType base = order.get(i);
      LoraStepBench.Result r = LoraStepBench.measure(shape, base, 1, iterations, manager);
      String key = base == DataType.FLOAT16 ? "float16" : "float32";
      out.put("tokens_per_step", r.train().tokensPerStep());
      out.putObject(key)
          .put("base_bytes", r.baseBytes())
          .put("adapter_parameters", r.adapterParameters())
          .put("tokens_per_s", r.tokensPerSecond())
          .put("rss_before_mb", r.rssBeforeBytes() / MB)
          .put("peak_rss_mb", r.peakRssBytes() / MB)
          .put("peak_own", r.peakOwn())
          .set("step", BenchReport.stats(r.train().step()));
      tps[i] = r.tokensPerSecond();
      System.out.printf(
          Locale.ROOT,
          "  LoRA r=%d step, %s base: %.1f tokens/s, base %.0f MB, peak RSS %.0f MB%n",
          LoraStepBench.RANK,
          key,
          r.tokensPerSecond(),
          r.baseBytes() / MB,
          r.peakRssBytes() / MB);
      report.row(
          "LoRA r=16 train step, D²O, batch 4 × 256, base " + key,
          shape.name(),
          String.format(
              Locale.ROOT,
              "%.1f tokens/s, peak RSS %.0f MB",
              r.tokensPerSecond(),
              r.peakRssBytes() / MB),
          String.format(
              Locale.ROOT,
              "base %.1f MB as stored, RSS %.0f MB before the steps; step %.2f s (median %.2f)%s",
              r.baseBytes() / MB,
              r.rssBeforeBytes() / MB,
              r.train().step().min(),
              r.train().step().median(),
              base == DataType.FLOAT16
                  ? "; on CPU each layer's F16 weights are widened to F32 when it runs, and the"
                      + " backward re-runs each layer's forward"
                  : ""));
    }
    out.put("float16_over_float32_tokens_per_s", tps[0] / tps[1]);
  }
}
