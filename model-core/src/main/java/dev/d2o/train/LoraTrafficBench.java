package dev.d2o.train;

import ai.djl.ndarray.types.Shape;
import dev.d2o.infer.GenerationBench;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * What one synchronous data-parallel step moves and what the driver does with it, full fine-tuning
 * against LoRA: the serialized bytes of the weights broadcast (each executor fetches one) and of
 * one executor's gradient sums (what {@code treeAggregate} ships, doubles), and the driver's time
 * to merge the sums, clip and step AdamW ({@link TrainerState#apply}) and publish (copy and
 * serialize the new weights, as a broadcast does). No model runs: the sizes are those of the
 * trainable parameters. Not part of the test run; by hand, for the GPT-2-124M shape: {@code java
 * -Xmx8g -cp ... dev.d2o.train.LoraTrafficBench [rank] [executors]}.
 */
public final class LoraTrafficBench {
  /** One measurement (times: the best of the repetitions). */
  public record Result(
      String mode,
      long trainable,
      long broadcastBytes,
      long gradientBytes,
      int executors,
      double mergeSeconds,
      double applySeconds,
      double publishSeconds) {
    /**
     * Bytes through the driver per step: a broadcast fetch and a gradient-sum result per executor.
     */
    public long bytesPerStep() {
      return executors * (broadcastBytes + gradientBytes);
    }

    /** The driver's aggregate-and-publish time. */
    public double driverSeconds() {
      return mergeSeconds + applySeconds + publishSeconds;
    }

    @Override
    public String toString() {
      return String.format(
          "%-28s trainable %,13d  bytes/step %,15d  merge %.4f s  apply %.4f s  publish %.4f s"
              + "  driver %.4f s",
          mode,
          trainable,
          bytesPerStep(),
          mergeSeconds,
          applySeconds,
          publishSeconds,
          driverSeconds());
    }
  }

  private LoraTrafficBench() {}

  /**
   * Measures {@code model} with {@code lora} adapters (null: full fine-tuning) and {@code
   * executors} executors.
   */
  public static Result measure(ModelConfig model, LoraConfig lora, int executors, int repetitions) {
    Map<String, Shape> shapes = lora == null ? CausalLM.parameterShapes(model) : lora.shapes(model);
    List<String> names = new ArrayList<>(shapes.keySet());
    SplittableRandom rnd = new SplittableRandom(1);
    float[][] weights = new float[names.size()][];
    float[][] grad = new float[names.size()][];
    long trainable = 0;
    for (int p = 0; p < weights.length; p++) {
      int n = Math.toIntExact(shapes.get(names.get(p)).size());
      weights[p] = new float[n];
      grad[p] = new float[n];
      for (int i = 0; i < n; i++) {
        weights[p][i] = (float) (rnd.nextDouble() - 0.5) * 0.04f;
        grad[p][i] = (float) (rnd.nextDouble() - 0.5) * 1e-3f;
      }
      trainable += n;
    }
    TrainerState state =
        new TrainerState(names, weights, TrainConfig.of(Map.of("learningRate", 1e-4)));
    GradientSums shard = GradientSums.zero(); // one executor's result (version −1: merges with any)
    float[] one = {0.7f};
    shard.addChunk(-1, grad, one, one, one, one, one, one, 10);
    grad = null;
    long gradientBytes = serializedSize(shard);
    long broadcastBytes = serializedSize(copy(state.weights()));
    double merge = Double.MAX_VALUE;
    double apply = Double.MAX_VALUE;
    double publish = Double.MAX_VALUE;
    for (int r = 0; r < repetitions; r++) {
      long t0 = System.nanoTime();
      GradientSums acc = GradientSums.zero();
      for (int e = 0; e < executors; e++) {
        acc.merge(shard);
      }
      long t1 = System.nanoTime();
      state.apply(acc, 1);
      acc = null;
      long t2 = System.nanoTime();
      serializedSize(copy(state.weights())); // what TrainStage hands to spark.broadcast
      long t3 = System.nanoTime();
      merge = Math.min(merge, (t1 - t0) / 1e9);
      apply = Math.min(apply, (t2 - t1) / 1e9);
      publish = Math.min(publish, (t3 - t2) / 1e9);
    }
    String mode =
        lora == null
            ? "full fine-tuning"
            : "LoRA r=" + lora.rank() + " " + lora.resolvedTargets(model);
    return new Result(
        mode, trainable, broadcastBytes, gradientBytes, executors, merge, apply, publish);
  }

  private static float[][] copy(float[][] w) {
    float[][] out = new float[w.length][];
    for (int i = 0; i < w.length; i++) {
      out[i] = w[i].clone();
    }
    return out;
  }

  /** Bytes of Java serialization (Spark's default serializer for broadcasts and task results). */
  static long serializedSize(Object o) {
    long[] n = {0};
    OutputStream counting =
        new OutputStream() {
          @Override
          public void write(int b) {
            n[0]++;
          }

          @Override
          public void write(byte[] b, int off, int len) {
            n[0] += len;
          }
        };
    try (ObjectOutputStream out = new ObjectOutputStream(counting)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return n[0];
  }

  public static void main(String[] args) {
    int rank = args.length > 0 ? Integer.parseInt(args[0]) : 8;
    int executors = args.length > 1 ? Integer.parseInt(args[1]) : 2;
    ModelConfig model = GenerationBench.gpt2Small();
    Result lora = measure(model, LoraConfig.of(rank, 2.0 * rank, 0, "auto"), executors, 5);
    System.out.println(lora);
    Result full = measure(model, null, executors, 3);
    System.out.println(full);
    System.out.printf(
        "full / LoRA: bytes per step %.0f×, driver aggregate-and-publish time %.0f×%n",
        (double) full.bytesPerStep() / lora.bytesPerStep(),
        full.driverSeconds() / lora.driverSeconds());
  }
}
