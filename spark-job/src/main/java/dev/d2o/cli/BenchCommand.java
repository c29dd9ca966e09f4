package dev.d2o.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.bench.BenchShape;
import dev.d2o.bench.ModelBench;
import dev.d2o.bench.Stats;
import dev.d2o.error.InputException;
import dev.d2o.model.CausalLM;
import dev.d2o.spark.bench.BenchReport;
import dev.d2o.spark.bench.SparkStepBench;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o bench}: throughput on random-weight models of named shapes, against this machine's
 * fp32 matmul peak measured in the same run. Writes {@code latest.json} and {@code latest.md} under
 * {@code --out}.
 */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description =
        "Benchmarks: matmul peak, train step (tokens/s, MFU), scoring, generation, anchor generation,"
            + " Spark step vs local, LoRA step with an F16 vs an F32 base.")
public final class BenchCommand implements Callable<Integer> {
  static final List<String> PARTS =
      List.of("train", "score", "generate", "anchors", "spark", "lora");

  @Option(
      names = "--shapes",
      split = ",",
      defaultValue = "tiny,gpt2-124m,llama-100m",
      description = "Shapes to measure: tiny, gpt2-124m, llama-100m (default: ${DEFAULT-VALUE}).")
  List<String> shapes;

  @Option(
      names = "--parts",
      split = ",",
      defaultValue = "train,score,generate,anchors,spark,lora",
      description = "Measurements per shape (default: ${DEFAULT-VALUE}).")
  List<String> parts;

  @Option(
      names = "--iterations",
      defaultValue = "3",
      description =
          "Timed repetitions of each measurement after one warm-up (default: ${DEFAULT-VALUE}).")
  int iterations;

  @Option(
      names = "--new-tokens",
      defaultValue = "128",
      description = "Generated tokens per row (default: ${DEFAULT-VALUE}).")
  int newTokens;

  @Option(
      names = "--cache-only",
      description =
          "Generate with the KV cache only (without it a 124M run at batch 16 takes minutes).")
  boolean cacheOnly;

  @Option(
      names = "--threads",
      defaultValue = "0",
      description =
          "Engine intra-op threads; 0 keeps the engine's default (default: ${DEFAULT-VALUE}).")
  int threads;

  @Option(
      names = "--out",
      defaultValue = "docs/bench",
      description = "Report directory (default: ${DEFAULT-VALUE}).")
  Path out;

  @Override
  public Integer call() throws Exception {
    for (String s : shapes) {
      if (!BenchShape.NAMES.contains(s)) { // fail before any work
        throw new InputException(
            "--shapes: unknown shape '" + s + "'; known: " + String.join(", ", BenchShape.NAMES));
      }
    }
    if (!PARTS.containsAll(parts)) {
      throw new InputException("--parts " + parts + ": allowed are " + PARTS);
    }
    if (iterations < 1 || newTokens < 1) {
      throw new InputException("--iterations and --new-tokens must be ≥ 1");
    }
    BenchReport report =
        new BenchReport(
            "d2o bench --shapes "
                + String.join(",", shapes)
                + " --parts "
                + String.join(",", parts)
                + " --iterations "
                + iterations
                + " --new-tokens "
                + newTokens
                + " --threads "
                + threads
                + (cacheOnly ? " --cache-only" : ""));
    int engineDefault = ModelBench.threads();
    try (NDManager manager = NDManager.newBaseManager()) {
      if (threads > 0) {
        ModelBench.setThreads(threads);
      }
      report.root().put("engine_threads", ModelBench.threads());
      double peak = peak(manager, report, "peak_before");
      GenerationParts generation = new GenerationParts(iterations, newTokens, cacheOnly);
      for (String name : shapes) {
        BenchShape shape = BenchShape.of(name);
        ObjectNode json = report.shape(name);
        json.put("description", shape.description()).put("parameters", shape.parameters());
        System.out.printf(
            "%s: %s, %,d parameters%n", name, shape.description(), shape.parameters());
        try (CausalLM model = ModelBench.randomModel(shape, manager)) {
          if (parts.contains("train")) {
            train(model, name, peak, json, report);
          }
          if (parts.contains("score")) {
            score(model, name, json, report);
          }
          if (parts.contains("generate")) {
            generation.generate(model, name, json, report);
          }
          if (parts.contains("anchors")) {
            generation.anchors(model, name, json, report);
          }
        }
        if (parts.contains("spark")) {
          spark(shape, json, report);
        }
        if (parts.contains("lora")) { // after the shared F32 model is closed: its own bases only
          LoraBenchPart.run(shape, iterations, manager, json, report);
        }
      }
      peak(manager, report, "peak_after");
    } finally {
      ModelBench.setThreads(engineDefault);
    }
    String md = report.write(out);
    System.out.println();
    System.out.println(md);
    System.out.println("wrote " + out.resolve("latest.md") + " and " + out.resolve("latest.json"));
    return 0;
  }

  /**
   * The matmul peak, measured at the start and again at the end (the load of a shared machine
   * drifts).
   */
  private double peak(NDManager manager, BenchReport report, String key) {
    double flops = ModelBench.matmulPeak(manager, 2048, Math.max(3, iterations));
    report.root().put(key + "_gflops", flops / 1e9);
    System.out.printf("fp32 matmul 2048x2048x2048 through DJL: %.1f GFLOP/s%n", flops / 1e9);
    report.row(
        "fp32 matMul 2048³ (" + key.replace('_', ' ') + ")",
        "-",
        String.format("%.1f GFLOP/s", flops / 1e9),
        "fastest of " + Math.max(3, iterations) + " (MFU divides by the start value)");
    return flops;
  }

  private void train(
      CausalLM model, String name, double peak, ObjectNode json, BenchReport report) {
    ModelBench.TrainResult r = ModelBench.trainStep(model, 1, iterations);
    ObjectNode t = json.putObject("train");
    t.put("objective", "D2O (K=3): GradientComputer + TrainerState, AdamW");
    t.put("tokens_per_step", r.tokensPerStep());
    t.set("step", BenchReport.stats(r.step()));
    t.set("forward_backward", BenchReport.stats(r.forwardBackward()));
    t.set("update", BenchReport.stats(r.update()));
    t.set("set_weights", BenchReport.stats(r.setWeights()));
    t.put("tokens_per_s", r.tokensPerSecond());
    t.put("mfu", r.mfu(peak));
    System.out.printf(
        "  train step: %.2f s (median %.2f), %.1f tokens/s, MFU %.1f%%%n",
        r.step().min(), r.step().median(), r.tokensPerSecond(), 100 * r.mfu(peak));
    report.row(
        "train step, D²O, batch 4 × 256 (fwd+bwd+AdamW)",
        name,
        String.format("%.1f tokens/s, MFU %.1f%%", r.tokensPerSecond(), 100 * r.mfu(peak)),
        String.format(
            "step %.2f s (median %.2f): fwd+bwd %.2f, update %.2f, setWeights %.2f",
            r.step().min(),
            r.step().median(),
            r.forwardBackward().min(),
            r.update().min(),
            r.setWeights().min()));
  }

  private void score(CausalLM model, String name, ObjectNode json, BenchReport report) {
    Stats s = ModelBench.scoring(model, 1, iterations);
    double tps = ModelBench.scoringTokens() / s.min();
    json.putObject("score")
        .put("tokens_per_call", ModelBench.scoringTokens())
        .put("tokens_per_s", tps)
        .set("call", BenchReport.stats(s));
    System.out.printf("  scoring: %.1f tokens/s%n", tps);
    report.row(
        "scoring (SequenceScorer, no grad), batch 4 × 256",
        name,
        String.format("%.1f tokens/s", tps),
        String.format("median %.1f tokens/s", ModelBench.scoringTokens() / s.median()));
  }

  private void spark(BenchShape shape, ObjectNode json, BenchReport report) throws Exception {
    Path tmp = Files.createTempDirectory("d2o-bench-");
    SparkSession spark =
        LocalSpark.transport(SparkSession.builder()) // as the job's own session
            .master("local[2]")
            .appName("d2o-bench")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.driver.maxResultSize", "0") // results are checked by the job, not here
            .getOrCreate();
    try {
      SparkStepBench.Result r = SparkStepBench.measure(spark, shape, iterations, tmp);
      SparkStepBench.Overheads o = r.overheads();
      ObjectNode j =
          json.putObject("spark")
              .put("master", "local[2]")
              .put("rows", SparkStepBench.ROWS)
              .put("tokens_per_step", r.tokensPerStep())
              .put("ratio", r.ratio())
              .put("sync_median", r.sync())
              .put("aggregate_median", r.aggregate())
              .put("update_median", r.update())
              .put("local_forward_backward_median", r.localForwardBackward());
      j.<ObjectNode>set("local_step", BenchReport.stats(r.local()))
          .set("spark_step", BenchReport.stats(r.spark()));
      j.putObject("overheads_median")
          .put("broadcast", o.broadcast())
          .put("replica_sync", o.replicaSync())
          .put("task_compute", o.taskCompute())
          .put("task_transport", o.transport())
          .put("job_overhead", o.jobOverhead())
          .put("result_serialization", o.resultSerialization())
          .put("getting_result", o.gettingResult())
          .put("task_deserialize", o.deserialize())
          .put("executor_gc", o.gc())
          .put("result_merge", o.merge())
          .put("driver_update", o.update())
          .put("stages_per_step", o.stages())
          .put("tasks_per_step", o.tasks());
      r.floor().write(j, r.local());
      System.out.printf(
          "  spark local[2] step %.2f s vs single-process %.2f s: x%.2f%n",
          r.spark().min(), r.local().min(), r.ratio());
      String overheads =
          String.format(
              "Spark medians: broadcast %.2f s, replica sync %.2f s, task fwd+bwd %.2f s, result"
                  + " rounding %.2f s, job beyond its task %.2f s (of which result serialization"
                  + " %.2f s, fetch %.2f s, task deserialization %.2f s, GC %.2f s), result sum"
                  + " %.2f s, update %.2f s; local fwd+bwd %.2f s; %.0f stage(s) and %.0f"
                  + " task(s) per step",
              o.broadcast(),
              o.replicaSync(),
              o.taskCompute(),
              o.transport(),
              o.jobOverhead(),
              o.resultSerialization(),
              o.gettingResult(),
              o.deserialize(),
              o.gc(),
              o.merge(),
              o.update(),
              r.localForwardBackward(),
              o.stages(),
              o.tasks());
      String floor = r.floor().note(r.local());
      System.out.println("  " + overheads);
      System.out.println("  " + floor);
      report.row(
          "D²O step on Spark local[2] ÷ single process, batch 8 × 256",
          shape.name(),
          String.format("× %.2f (%.2f s vs %.2f s)", r.ratio(), r.spark().min(), r.local().min()),
          overheads + "; " + floor);
    } finally {
      spark.stop();
      deleteTree(tmp);
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
