package dev.d2o.spark.stages;

import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.train.TrainConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The grid of {@code d2o compare --learning-rates/--betas}: every loss runs once per grid value on
 * the same anchors, data order, seeds and budget. An empty list keeps the configuration's value; a
 * grid of one value is no sweep (no validation split, no choice).
 *
 * @param learningRates {@code train.learningRate} values, or empty
 * @param betas {@code train.beta} values, or empty
 */
public record Sweep(List<Double> learningRates, List<Double> betas) {
  /** No sweep: every loss at the configuration's values. */
  public static Sweep none() {
    return new Sweep(List.of(), List.of());
  }

  /**
   * One grid value.
   *
   * @param learningRate its learning rate
   * @param beta its β
   * @param name how run directories and tables name it, e.g. {@code lr=0.0001,beta=0.1}
   */
  public record Point(double learningRate, double beta, String name) {
    /** {@code cfg} at this grid value. */
    public JobConfig apply(JobConfig cfg) {
      return cfg.with(Keys.train(TrainConfig.LEARNING_RATE), learningRate)
          .with(Keys.train(TrainConfig.BETA), beta);
    }
  }

  /** Whether there is more than one grid value, so that one must be chosen. */
  public boolean sweeps() {
    return learningRates.size() * Math.max(1, betas.size()) > 1 || betas.size() > 1;
  }

  /** The grid values under {@code cfg}, learning rates outermost, in the order given. */
  public List<Point> points(JobConfig cfg) {
    List<Double> lrs =
        learningRates.isEmpty()
            ? List.of(cfg.get(Keys.train(TrainConfig.LEARNING_RATE)))
            : learningRates;
    List<Double> bs = betas.isEmpty() ? List.of(cfg.get(Keys.train(TrainConfig.BETA))) : betas;
    List<Point> out = new ArrayList<>();
    for (double lr : lrs) {
      for (double b : bs) {
        String name = "lr=" + num(lr) + (betas.isEmpty() ? "" : ",beta=" + num(b));
        out.add(new Point(lr, b, name));
      }
    }
    return out;
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%s", v).replaceFirst("\\.0$", "");
  }
}
