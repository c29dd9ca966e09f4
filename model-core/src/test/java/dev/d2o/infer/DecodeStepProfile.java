package dev.d2o.infer;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import dev.d2o.bench.BenchShape;
import dev.d2o.bench.ModelBench;
import dev.d2o.model.AttentionMask;
import dev.d2o.model.CausalLM;
import dev.d2o.model.Gpt2StepTimer;
import dev.d2o.model.KvCache;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.NoGrad;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Where a GPT-2 decoding step spends its time, part by part, and the floor set by the machine: a
 * tool run by hand (not a test). A random GPT-2-124M-shaped model prefills B rows of 16 tokens,
 * then decodes {@code steps} tokens against the preallocated cache with the engine sampler
 * (temperature 1, top-p 1, top-k 0, EOS banned: the bench's settings); the first 4 steps are
 * warm-up. With one intra-op thread the clock is this thread's CPU time, which other processes'
 * load does not inflate (memory stalls still do). Run after {@code mvn -pl model-core -am
 * test-compile}:
 *
 * <pre>
 * java -cp model-core/target/test-classes:model-core/target/classes:$(cat spark-job/target/classpath.txt) \
 *     dev.d2o.infer.DecodeStepProfile [batch=16] [steps=48] [threads=1]
 * </pre>
 */
public final class DecodeStepProfile {
  private static final int PROMPT = 16;
  private static final int WARM_UP = 4;

  private DecodeStepProfile() {}

  /** Prints the floor measurements and the per-part table. */
  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 16;
    int steps = args.length > 1 ? Integer.parseInt(args[1]) : 48;
    int threads = args.length > 2 ? Integer.parseInt(args[2]) : 1;
    Engine.getInstance();
    JniUtils.setNumThreads(threads);
    Gpt2StepTimer timer = new Gpt2StepTimer(threads == 1);
    System.out.printf(
        "engine threads %d, clock: %s%n", threads, threads == 1 ? "thread CPU time" : "wall time");
    try (NDManager base = NDManager.newBaseManager();
        CausalLM model = ModelBench.randomModel(BenchShape.of("gpt2-124m"), base)) {
      floors(base, timer, batch, model.config());
      profile(model, timer, batch, steps);
    }
  }

  private static void profile(CausalLM model, Gpt2StepTimer timer, int b, int steps) {
    ModelConfig cfg = model.config();
    SamplingConfig sampling = new SamplingConfig(1.0, 1.0, 0, steps, steps, 1.0, 0);
    Random rnd = new Random(1);
    List<SampleRow> rows = new ArrayList<>();
    for (int i = 0; i < b; i++) {
      rows.add(new SampleRow(i, 0, new int[] {1}, SampleStream.of(0, "p" + i, 0), steps));
    }
    int[] eos = {cfg.vocabSize() - 1};
    try (NoGrad g = NoGrad.open();
        NDManager call = model.manager().newSubManager();
        KvCache cache = KvCache.preallocated(call, cfg.numLayers(), PROMPT + steps);
        EngineSampler sampler = new EngineSampler(sampling, eos, cfg.vocabSize(), call, rows)) {
      try (NDManager m = call.newSubManager();
          NDScope scope = new NDScope()) {
        long[] ids = new long[b * PROMPT];
        long[] pos = new long[b * PROMPT];
        for (int i = 0; i < ids.length; i++) {
          ids[i] = rnd.nextInt(cfg.vocabSize());
          pos[i] = i % PROMPT;
        }
        Shape s = new Shape(b, PROMPT);
        AttentionMask mask = AttentionMask.of(m, valid(b, PROMPT), PROMPT, cfg);
        model.hidden(m.create(ids, s), m.create(pos, s), mask, cache);
      }
      double total = 0;
      for (int n = 1; n <= steps; n++) {
        if (n == WARM_UP + 1) {
          timer.reset();
          total = 0;
        }
        long t0 = timer.now();
        try (NDManager m = call.newSubManager();
            NDScope scope = new NDScope()) {
          long[] ids = new long[b];
          long[] pos = new long[b];
          Arrays.fill(pos, PROMPT + n - 1L);
          for (int i = 0; i < b; i++) {
            ids[i] = rnd.nextInt(cfg.vocabSize());
          }
          AttentionMask mask = AttentionMask.of(m, valid(b, PROMPT + n), 1, cfg);
          NDArray idArray = m.create(ids, Gpt2StepTimer.ids(b));
          NDArray posArray = m.create(pos, Gpt2StepTimer.ids(b));
          timer.add("inputs and mask", timer.now() - t0);
          NDArray logits = timer.stepLogits(model, idArray, posArray, mask, cache);
          long t1 = timer.now();
          double[] u = new double[b];
          for (int i = 0; i < b; i++) {
            u[i] = rnd.nextDouble();
          }
          sampler.draw(logits, u, n); // ids and log-probs to Java included
          timer.add("sampler (engine; ids to Java)", timer.now() - t1);
        }
        total += (timer.now() - t0) / 1e6;
      }
      int timed = steps - WARM_UP;
      System.out.printf(
          "batch %d, %d timed steps (cache %d → %d slots): %.1f ms per step%n",
          b, timed, PROMPT + WARM_UP + 1, PROMPT + steps, total / timed);
      for (Map.Entry<String, Double> e : timer.totals().entrySet()) {
        double ms = e.getValue() / timed;
        System.out.printf(
            "  %-42s %7.2f ms  %5.1f%%%n", e.getKey(), ms, 100 * ms / (total / timed));
      }
    }
  }

  private static boolean[][] valid(int b, int width) {
    boolean[][] v = new boolean[b][width];
    for (boolean[] r : v) {
      Arrays.fill(r, true);
    }
    return v;
  }

  /**
   * The machine's floor for one step: read bandwidth (a sum over 400 MB), the head's product at one
   * row (memory-bound) and at {@code b} rows, and a 1024³ product (compute-bound).
   */
  private static void floors(NDManager base, Gpt2StepTimer timer, int b, ModelConfig cfg) {
    try (NDManager m = base.newSubManager()) {
      NDArray big = m.randomUniform(0, 1, new Shape(100_000_000));
      NDArray w = m.randomUniform(0, 1, new Shape(cfg.hiddenSize(), cfg.vocabSize()));
      NDArray x1 = m.randomUniform(0, 1, new Shape(1, cfg.hiddenSize()));
      NDArray xb = m.randomUniform(0, 1, new Shape(b, cfg.hiddenSize()));
      NDArray sq = m.randomUniform(0, 1, new Shape(1024, 1024));
      double sum = best(timer, big::sum);
      double one = best(timer, () -> x1.matMul(w));
      double rows = best(timer, () -> xb.matMul(w));
      double peak = best(timer, () -> sq.matMul(sq));
      double wBytes = 4.0 * w.size();
      double weights = 4.0 * cfg.parameterCount();
      double flops = 2.0 * b * cfg.parameterCount();
      System.out.printf(
          "read bandwidth (sum of 400 MB): %.1f GB/s; head (1 × %d)·(%d × %d): %.2f ms = %.1f GB/s;"
              + " at %d rows %.2f ms = %.1f GFLOP/s; 1024³ product %.1f GFLOP/s%n",
          4e8 / sum / 1e9,
          cfg.hiddenSize(),
          cfg.hiddenSize(),
          cfg.vocabSize(),
          one * 1e3,
          wBytes / one / 1e9,
          b,
          rows * 1e3,
          2.0 * b * w.size() / rows / 1e9,
          2.0 * 1024 * 1024 * 1024 / peak / 1e9);
      System.out.printf(
          "floor per step: %.0f MB of weights ÷ %.1f GB/s = %.1f ms; %.2f GFLOP ÷ %.1f GFLOP/s ="
              + " %.1f ms%n",
          weights / 1e6,
          4e8 / sum / 1e9,
          1e3 * weights / (4e8 / sum),
          flops / 1e9,
          2.0 * 1024 * 1024 * 1024 / peak / 1e9,
          1e3 * flops / (2.0 * 1024 * 1024 * 1024 / peak));
    }
  }

  private static double best(Gpt2StepTimer timer, java.util.function.Supplier<NDArray> op) {
    double best = Double.MAX_VALUE;
    for (int r = 0; r < 5; r++) {
      long t0 = timer.now();
      NDArray y = op.get();
      best = Math.min(best, (timer.now() - t0) / 1e9);
      y.close();
    }
    return best;
  }
}
