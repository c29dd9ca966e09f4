package dev.d2o.train;

/**
 * Learning rate per step: linear warmup from 0 over {@code warmupSteps}, then cosine or linear
 * decay to 0 at {@code totalSteps}, or constant (the shapes of Hugging Face's {@code
 * get_cosine_schedule_with_warmup} and {@code get_linear_schedule_with_warmup}).
 *
 * @param peak the learning rate after warmup
 */
public record LrSchedule(Kind kind, double peak, long warmupSteps, long totalSteps) {
  /** The shape after warmup. */
  public enum Kind {
    COSINE,
    LINEAR,
    CONSTANT
  }

  /** The learning rate of step {@code step} (0-based). */
  public double lr(long step) {
    if (step < warmupSteps) {
      return peak
          * (step + 1)
          / warmupSteps; // step 0 of a warmup still moves: lr = peak/warmup, not 0
    }
    if (kind == Kind.CONSTANT) {
      return peak;
    }
    double progress =
        Math.min(1.0, (double) (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
    return kind == Kind.COSINE
        ? peak * 0.5 * (1 + Math.cos(Math.PI * progress))
        : peak * (1 - progress);
  }
}
