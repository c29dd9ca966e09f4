package dev.d2o.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.model.CausalLM;
import dev.d2o.model.TensorLayout;
import dev.d2o.train.GradientComputer;
import dev.d2o.train.GradientSums;
import dev.d2o.train.StepResult;
import dev.d2o.train.TrainConfig;
import dev.d2o.train.TrainExample;
import dev.d2o.train.TrainerState;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The single-process measurements of {@code d2o bench}: the engine's matmul peak, a D²O training
 * step, scoring. Generation is {@link dev.d2o.infer.GenerationBench}. Every number is the engine's
 * real work on random weights; the token ids are random too (the cost does not depend on them).
 */
public final class ModelBench {
  /** Tokens per sequence of the training and scoring batches: 64 prompt + 192 response. */
  public static final int PROMPT = 64;

  public static final int RESPONSE = 192;

  /**
   * Sequences per forward/backward: one D²O row with K = 3 anchors and its negative, so batch 4 ×
   * 256.
   */
  public static final int K = 3;

  /** One training-step measurement: per-iteration seconds of each phase. */
  public record TrainResult(
      long parameters,
      int tokensPerStep,
      Stats step,
      Stats forwardBackward,
      Stats update,
      Stats setWeights) {
    /** Tokens per second of the fastest step. */
    public double tokensPerSecond() {
      return tokensPerStep / step.min();
    }

    /**
     * Model FLOPs utilisation: 6·P·tokens/s over the measured peak (Kaplan et al. 2020's 6N per
     * token).
     */
    public double mfu(double peakFlops) {
      return 6.0 * parameters * tokensPerSecond() / peakFlops;
    }
  }

  private ModelBench() {}

  /** The engine's intra-op threads (PyTorch's {@code get_num_threads}). */
  public static int threads() {
    return ai.djl.pytorch.jni.JniUtils.getNumThreads();
  }

  /**
   * Sets the engine's intra-op threads for this JVM. One thread can beat two on a machine whose
   * cores are busy with other work: OpenMP's barrier waits then cost more than the second thread
   * brings.
   */
  public static void setThreads(int n) {
    ai.djl.pytorch.jni.JniUtils.setNumThreads(n);
  }

  /**
   * A model of {@code shape} with weights drawn by the engine (N(0, 0.02²), norm scales and biases
   * as the family declares): the same initialisation as {@link CausalLM#random}, seconds instead of
   * a minute at 124M parameters.
   */
  public static CausalLM randomModel(BenchShape shape, NDManager parent) {
    return randomModel(shape, parent, DataType.FLOAT32);
  }

  /**
   * As {@link #randomModel(BenchShape, NDManager)}, each weight stored as {@code storage} (drawn in
   * F32, then narrowed one tensor at a time).
   */
  public static CausalLM randomModel(BenchShape shape, NDManager parent, DataType storage) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (TensorLayout.Tensor t : shape.config().tensors().tensors()) {
      Shape s = t.shape();
      NDArray a =
          switch (t.init()) {
            case ONES -> m.ones(s);
            case ZEROS -> m.zeros(s);
            case NORMAL -> m.randomNormal(0f, 0.02f, s, DataType.FLOAT32);
          };
      if (storage != DataType.FLOAT32) {
        NDArray narrow = a.toType(storage, false);
        a.close();
        a = narrow;
      }
      params.put(t.name(), a);
    }
    return CausalLM.of(shape.config(), params, m);
  }

  /**
   * fp32 FLOP/s of an n×n×n matMul through DJL's engine: 2n³ over the fastest of {@code reps}
   * calls.
   */
  public static double matmulPeak(NDManager parent, int n, int reps) {
    try (NDManager m = parent.newSubManager()) {
      NDArray a = m.randomNormal(new Shape(n, n));
      NDArray b = m.randomNormal(new Shape(n, n));
      Stats s = Stats.time(2, reps, () -> a.matMul(b).close()); // PyTorch CPU ops are synchronous
      return 2.0 * n * n * n / s.min();
    }
  }

  /**
   * {@code rows} D²O rows of random tokens: prompt 64, K = 3 anchors and a negative of 192 tokens
   * each.
   */
  public static List<TrainExample> rows(CausalLM model, int rows, long seed) {
    Random rnd = new Random(seed);
    int vocab = model.config().vocabSize();
    List<TrainExample> out = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      int[][] anchors = new int[K][];
      for (int j = 0; j < K; j++) {
        anchors[j] = tokens(rnd, RESPONSE, vocab);
      }
      out.add(
          new TrainExample(
              "bench-" + r,
              tokens(rnd, PROMPT, vocab),
              tokens(rnd, RESPONSE, vocab),
              anchors,
              new double[K],
              0));
    }
    return out;
  }

  /**
   * The D²O train step as {@link dev.d2o.train.LocalTrainer} runs it, one phase at a time: gradient
   * sums ({@link GradientComputer#compute}: forward, backward, gradient readout), the driver update
   * ({@link TrainerState#apply}: mean, clip, AdamW) and the replica's new weights ({@link
   * GradientComputer#setWeights}). Batch: one row of K = 3 anchors and its negative, 4 sequences ×
   * 256 tokens.
   */
  public static TrainResult trainStep(CausalLM model, int warmup, int iterations) {
    return trainStep(model, warmup, iterations, 0);
  }

  /**
   * As {@link #trainStep(CausalLM, int, int)}, back-propagating {@code tokensPerBackward} padded
   * tokens at a time ({@code train.tokensPerBackward}; 0: the whole chunk at once). What trains is
   * {@code model}'s trainable parameters: every weight, or only the adapters of a LoRA view.
   */
  public static TrainResult trainStep(
      CausalLM model, int warmup, int iterations, int tokensPerBackward) {
    TrainConfig tc =
        TrainConfig.of(
            Map.of(
                "k",
                K,
                TrainConfig.CHUNK_SIZE.name(),
                1,
                "batchSize",
                1,
                "learningRate",
                1e-6,
                "schedule",
                "constant"));
    Map<String, NDArray> trainable = model.trainableParameters();
    List<String> names = new ArrayList<>(trainable.keySet());
    float[][] w = trainable.values().stream().map(NDArray::toFloatArray).toArray(float[][]::new);
    TrainerState state = new TrainerState(names, w, tc);
    GradientComputer computer = new GradientComputer(model, tc.loss(), 1, tokensPerBackward);
    List<TrainExample> batch = rows(model, 1, 7);
    int tokens = (int) batch.get(0).tokens();
    int n = warmup + iterations;
    double[] step = new double[n];
    double[] fb = new double[n];
    double[] upd = new double[n];
    double[] set = new double[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      GradientSums sums = computer.compute(batch);
      long t1 = System.nanoTime();
      StepResult r = state.apply(sums, (t1 - t0) / 1e9);
      long t2 = System.nanoTime();
      if (!r.skipped()) {
        computer.setWeights(state.weightsVersion(), state.weights());
      }
      long t3 = System.nanoTime();
      step[i] = (t3 - t0) / 1e9;
      fb[i] = (t1 - t0) / 1e9;
      upd[i] = (t2 - t1) / 1e9;
      set[i] = (t3 - t2) / 1e9;
    }
    model.setTrainable(false);
    return new TrainResult(
        model.config().parameterCount(),
        tokens,
        after(step, warmup),
        after(fb, warmup),
        after(upd, warmup),
        after(set, warmup));
  }

  /**
   * Seconds per call of {@link SequenceScorer#score} on 4 sequences × 256 tokens (no gradients).
   */
  public static Stats scoring(CausalLM model, int warmup, int iterations) {
    List<ScoreRequest> reqs = new ArrayList<>();
    for (TrainExample r : rows(model, 1, 11)) {
      for (int[] a : r.anchorIds()) {
        reqs.add(new ScoreRequest(r.id(), r.promptIds(), a));
      }
      reqs.add(new ScoreRequest(r.id(), r.promptIds(), r.negativeIds()));
    }
    SequenceScorer scorer = new SequenceScorer(model, reqs.size(), LengthPolicy.FAIL);
    return Stats.time(warmup, iterations, () -> scorer.score(reqs));
  }

  /** Tokens of one scoring call ({@link #scoring}). */
  public static int scoringTokens() {
    return (K + 1) * (PROMPT + RESPONSE);
  }

  private static int[] tokens(Random rnd, int n, int vocab) {
    int[] t = new int[n];
    for (int i = 0; i < n; i++) {
      t[i] = rnd.nextInt(vocab);
    }
    return t;
  }

  private static Stats after(double[] all, int warmup) {
    return new Stats(java.util.Arrays.copyOfRange(all, warmup, all.length));
  }
}
