package dev.d2o.train;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The driver's side of training: the fp32 master weights, AdamW's moments and the counters. It
 * consumes the aggregated {@link GradientSums} of a global batch: mean gradient → non-finite check
 * → global-norm clip → AdamW with the scheduled learning rate → new weights version. The
 * distributed trainer and {@link LocalTrainer} both call {@link #apply}, so they differ only in how
 * the sums were gathered.
 *
 * <p>A step whose loss or gradient is not finite is skipped (weights and moments untouched), logged
 * with its reason and counted; after {@code maxConsecutiveSkips} skips in a row training stops with
 * a {@link TrainStoppedException} that carries the stopping step's result. A skipped step still
 * consumes its batch and advances {@link #step()} (and so the schedule), as Hugging Face's Trainer
 * does with overflowing fp16 steps; AdamW's t counts applied updates only.
 */
public final class TrainerState {
  private static final Logger LOG = LoggerFactory.getLogger(TrainerState.class);

  private final List<String> names;
  private final float[][] weights;
  private final AdamW optimizer;
  private final LrSchedule schedule;
  private final double maxGradNorm;
  private final int maxConsecutiveSkips;
  private long step;
  private long consumedExamples;
  private long weightsVersion;
  private long skippedSteps;
  private int consecutiveSkips;

  /**
   * @param names parameter names in parameter order
   * @param weights the initial master weights (owned from now on)
   */
  public TrainerState(List<String> names, float[][] weights, TrainConfig config) {
    this.names = List.copyOf(names);
    this.weights = weights;
    int[] sizes = new int[weights.length];
    for (int p = 0; p < sizes.length; p++) {
      sizes[p] = weights[p].length;
    }
    this.optimizer =
        new AdamW(
            names,
            sizes,
            config.get(TrainConfig.ADAM_BETA1),
            config.get(TrainConfig.ADAM_BETA2),
            config.get(TrainConfig.ADAM_EPS),
            config.get(TrainConfig.WEIGHT_DECAY),
            AdamW.matching(config.get(TrainConfig.NO_DECAY)));
    this.schedule = config.schedule();
    this.maxGradNorm = config.get(TrainConfig.MAX_GRAD_NORM);
    this.maxConsecutiveSkips = config.get(TrainConfig.MAX_CONSECUTIVE_SKIPS);
  }

  /**
   * Applies one step from the sums over its whole global batch.
   *
   * @param seconds wall time the step's gradient work took, from handing out the batch to holding
   *     the summed gradient, for {@code tokens_per_s}; {@code timing/forward_backward} is the
   *     forward/backward time the sums carry ({@link GradientSums#computeSeconds})
   */
  public StepResult apply(GradientSums sums, double seconds) {
    long start = System.nanoTime();
    if (sums.count() == 0) {
      throw new IllegalArgumentException("step " + step + ": no examples in the batch");
    }
    if (sums.weightsVersion() >= 0 && sums.weightsVersion() != weightsVersion) {
      throw new TrainException(
          "step "
              + step
              + ": gradients were taken at weights version "
              + sums.weightsVersion()
              + " but the driver holds version "
              + weightsVersion);
    }
    double lr = schedule.lr(step);
    float[][] grad = sums.gradient(); // (P)[n_p]: ∇ of the mean loss
    double loss = sums.loss();
    double gradNorm = Clipping.clipByGlobalNorm(grad, maxGradNorm);
    String reason =
        !Double.isFinite(loss)
            ? "non-finite loss " + loss
            : !Double.isFinite(gradNorm) ? "non-finite gradient (norm " + gradNorm + ")" : null;
    long thisStep = step;
    step++;
    consumedExamples += sums.count();
    if (reason != null) {
      skippedSteps++;
      consecutiveSkips++;
      LOG.warn(
          "step {}: update skipped: {} ({} in a row, {} skipped in all)",
          thisStep,
          reason,
          consecutiveSkips,
          skippedSteps);
    } else {
      consecutiveSkips = 0;
      optimizer.step(weights, grad, lr);
      weightsVersion++;
    }
    Map<String, Double> m = new LinkedHashMap<>(sums.metrics());
    m.put("grad_norm", gradNorm);
    m.put("lr", lr);
    m.put("tokens_per_s", seconds > 0 ? sums.tokens() / seconds : Double.NaN);
    m.put("skipped_steps", (double) skippedSteps);
    m.put("timing/forward_backward", sums.computeSeconds());
    m.put("timing/update", (System.nanoTime() - start) / 1e9);
    StepResult result = new StepResult(thisStep, reason != null, reason, m);
    if (reason != null && consecutiveSkips >= maxConsecutiveSkips) {
      throw new TrainStoppedException(
          "training stopped at step "
              + thisStep
              + ": "
              + consecutiveSkips
              + " consecutive steps had a non-finite loss or gradient (last: "
              + reason
              + "; limit maxConsecutiveSkips = "
              + maxConsecutiveSkips
              + "). Lower learningRate, check the rows' reference"
              + " log-probs, or resume from the last checkpoint",
          result);
    }
    return result;
  }

  /** Steps taken (applied or skipped): the index of the next step. */
  public long step() {
    return step;
  }

  /** Examples consumed so far. */
  public long consumedExamples() {
    return consumedExamples;
  }

  /**
   * Incremented by each applied update; the version replicas must hold to compute the next
   * gradient.
   */
  public long weightsVersion() {
    return weightsVersion;
  }

  /** Skipped steps in a row up to now. */
  public int consecutiveSkips() {
    return consecutiveSkips;
  }

  /** Skipped steps so far. */
  public long skippedSteps() {
    return skippedSteps;
  }

  /** The master weights (live arrays), per parameter in parameter order. */
  public float[][] weights() {
    return weights;
  }

  /** Parameter names in parameter order. */
  public List<String> names() {
    return names;
  }

  /** The optimizer. */
  public AdamW optimizer() {
    return optimizer;
  }

  /** Restores counters from a checkpoint. */
  void restore(
      long step,
      long consumedExamples,
      long weightsVersion,
      long skippedSteps,
      int consecutiveSkips) {
    this.step = step;
    this.consumedExamples = consumedExamples;
    this.weightsVersion = weightsVersion;
    this.skippedSteps = skippedSteps;
    this.consecutiveSkips = consecutiveSkips;
  }
}
