package dev.d2o.train;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Sums over examples of the loss, of its gradient and of the step metrics, computed on one set of
 * weights. Sums (not means) so that shards merge by addition: Σ over shards of {@link
 * #gradientSum()} divided by the total {@link #count()} is the gradient of the mean loss over the
 * whole batch. Shaped like a Spark MLlib aggregator: {@link GradientComputer#add}, {@link #merge},
 * {@link #loss()}, {@link #gradient()}; plain arrays and scalars only, so it serializes through
 * {@code treeAggregate}; the arrays travel as raw bytes ({@link RawArrays}).
 */
public final class GradientSums implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The version of the weights the gradients were taken at; −1 for the empty value, which merges
   * with any.
   */
  private long weightsVersion = -1;

  // per parameter, in CausalLM.parameters() order; null while empty; written as raw bytes by
  // writeObject. Double, as MLlib's aggregators: the sum barely depends on the shards' merge order.
  private transient double[][] gradientSum;
  // sums rounded to float (forTransport: what a task returns), added after gradientSum, in merge
  // order. Kept as they came rather than added into a new double array at once: the driver then
  // needs no double copy of the model (1 GB at 124 M parameters); gradient() adds them element by
  // element in the same order, in double, so the result is the same bit for bit.
  private transient List<float[][]> roundedParts = new ArrayList<>();
  private long count;
  private long tokens;
  private double lossSum;
  private double rewardsAnchorsSum;
  private double rewardsNegativeSum;
  private double marginSum;
  private double accuracySum;
  private double logpsAnchorsSum;
  private double logpsNegativeSum;
  // seconds of forward/backward that produced these sums, added over chunks and tasks (a metric)
  private double computeSeconds;

  /** The empty value: the zero of {@link #merge}. */
  public static GradientSums zero() {
    return new GradientSums();
  }

  /** Adds one chunk's per-example values (all of length n) and its gradient sum. */
  void addChunk(
      long version,
      float[][] gradient,
      float[] losses,
      float[] margin,
      float[] rewardsAnchors,
      float[] rewardsNegative,
      float[] logpsAnchors,
      float[] logpsNegative,
      long chunkTokens) {
    // the chunk's scalars; its gradient goes straight into this one's sums
    GradientSums c = new GradientSums();
    c.weightsVersion = version;
    c.count = losses.length;
    c.tokens = chunkTokens;
    for (int i = 0; i < losses.length; i++) {
      c.lossSum += losses[i];
      c.marginSum += margin[i];
      c.accuracySum += margin[i] > 0 ? 1 : 0;
      c.rewardsAnchorsSum += rewardsAnchors[i];
      c.rewardsNegativeSum += rewardsNegative[i];
      c.logpsAnchorsSum += logpsAnchors[i];
      c.logpsNegativeSum += logpsNegative[i];
    }
    checkVersion(c);
    foldRounded(); // rounded parts merged before this chunk are added before it
    boolean empty = gradientSum == null;
    if (empty) {
      gradientSum = new double[gradient.length][];
    }
    // per parameter in parallel: each element's arithmetic is the same as a sequential loop's
    IntStream.range(0, gradient.length)
        .parallel()
        .forEach(
            p -> {
              float[] g = gradient[p];
              if (empty) {
                double[] a = new double[g.length];
                for (int i = 0; i < a.length; i++) {
                  a[i] = g[i];
                }
                gradientSum[p] = a;
              } else {
                double[] a = gradientSum[p];
                for (int i = 0; i < a.length; i++) {
                  a[i] += g[i];
                }
              }
            });
    addScalars(c);
  }

  /**
   * Adds {@code other} into this one and returns this; both must come from the same weights. When
   * this one is empty it takes over {@code other}'s gradient arrays instead of copying them
   * (hundreds of MB at 124M parameters): the aggregator's usage, where {@code other} is a task's or
   * a chunk's result that nobody reads afterwards.
   */
  public GradientSums merge(GradientSums other) {
    if (other.count == 0 && other.gradientSum == null && other.roundedParts.isEmpty()) {
      return this;
    }
    checkVersion(other);
    if (other.gradientSum == null) {
      roundedParts.addAll(other.roundedParts); // added in gradient(), in this order
    } else if (gradientSum == null && roundedParts.isEmpty()) {
      gradientSum = other.gradientSum;
      roundedParts.addAll(other.roundedParts);
    } else {
      foldRounded(); // what came first is added first
      other.foldRounded();
      IntStream.range(0, gradientSum.length)
          .parallel()
          .forEach(
              p -> {
                double[] a = gradientSum[p];
                double[] b = other.gradientSum[p];
                for (int i = 0; i < a.length; i++) {
                  a[i] += b[i];
                }
              });
    }
    addScalars(other);
    return this;
  }

  /**
   * This sum with its gradient rounded to float and the double arrays dropped: what one gradient
   * task returns, half the bytes of the double sum (the driver adds such results in double, in a
   * fixed order, so the arithmetic is the same wherever the tasks ran). Returns this.
   */
  public GradientSums forTransport() {
    if (gradientSum != null) {
      foldRounded();
      float[][] r = new float[gradientSum.length][];
      IntStream.range(0, r.length)
          .parallel()
          .forEach(
              p -> {
                double[] a = gradientSum[p];
                float[] o = new float[a.length];
                for (int i = 0; i < o.length; i++) {
                  o[i] = (float) a[i];
                }
                r[p] = o;
              });
      roundedParts = new ArrayList<>();
      roundedParts.add(r);
      gradientSum = null;
    } else if (roundedParts.size() > 1) {
      // several rounded parts become one, as the double sum of them would be rounded
      float[][] r = gradient(1);
      roundedParts = new ArrayList<>();
      roundedParts.add(r);
    }
    return this;
  }

  /** Bytes of gradient this sum carries (4 per float after {@link #forTransport}, else 8). */
  public long gradientBytes() {
    long n = 0;
    for (float[][] part : roundedParts) {
      for (float[] a : part) {
        n += 4L * a.length;
      }
    }
    if (gradientSum != null) {
      for (double[] a : gradientSum) {
        n += 8L * a.length;
      }
    }
    return n;
  }

  /** Adds the rounded parts into the double sum (allocating it when empty), in their order. */
  private void foldRounded() {
    for (float[][] part : roundedParts) {
      addRounded(part);
    }
    roundedParts.clear();
  }

  private void addRounded(float[][] rounded) {
    boolean empty = gradientSum == null;
    if (empty) {
      gradientSum = new double[rounded.length][];
    }
    IntStream.range(0, rounded.length)
        .parallel()
        .forEach(
            p -> {
              float[] g = rounded[p];
              if (empty) {
                gradientSum[p] = new double[g.length];
              }
              double[] a = gradientSum[p];
              for (int i = 0; i < a.length; i++) {
                a[i] += g[i];
              }
            });
  }

  private void checkVersion(GradientSums other) {
    if (weightsVersion >= 0
        && other.weightsVersion >= 0
        && weightsVersion != other.weightsVersion) {
      throw new TrainException(
          "cannot merge gradients taken at weights version "
              + weightsVersion
              + " and "
              + other.weightsVersion
              + ": every shard of a step must use the same weights (a stale replica?)");
    }
  }

  private void addScalars(GradientSums other) {
    weightsVersion = Math.max(weightsVersion, other.weightsVersion);
    count += other.count;
    tokens += other.tokens;
    lossSum += other.lossSum;
    rewardsAnchorsSum += other.rewardsAnchorsSum;
    rewardsNegativeSum += other.rewardsNegativeSum;
    marginSum += other.marginSum;
    accuracySum += other.accuracySum;
    logpsAnchorsSum += other.logpsAnchorsSum;
    logpsNegativeSum += other.logpsNegativeSum;
    computeSeconds += other.computeSeconds;
  }

  /**
   * Records {@code seconds} of forward/backward work spent on these sums, measured where it ran (an
   * executor, or the single process); merging adds them up.
   */
  public void addComputeSeconds(double seconds) {
    computeSeconds += seconds;
  }

  /**
   * Seconds of forward/backward behind these sums, summed over chunks: with E executors working at
   * once this is up to E times the wall time ({@code timing/forward_backward}).
   */
  public double computeSeconds() {
    return computeSeconds;
  }

  /** Number of examples. */
  public long count() {
    return count;
  }

  /** Tokens fed through the model. */
  public long tokens() {
    return tokens;
  }

  /** The weights version the gradients were taken at, −1 when empty. */
  public long weightsVersion() {
    return weightsVersion;
  }

  /** Σ of per-example losses. */
  public double lossSum() {
    return lossSum;
  }

  /** The mean loss. */
  public double loss() {
    return lossSum / count;
  }

  /** Σ over examples of ∇loss, per parameter, in double (shared, not copied). */
  public double[][] gradientSum() {
    foldRounded();
    return gradientSum;
  }

  /** ∇ of the mean loss, per parameter in parameter order (a new array). */
  public float[][] gradient() {
    return gradient(count);
  }

  /**
   * Σ ÷ {@code divisor} rounded to float: per element, the double sum, then each rounded part added
   * in double in merge order, then the division, exactly as folding the parts into the double sum
   * first would give, without allocating it.
   */
  private float[][] gradient(long divisor) {
    double[][] sum = gradientSum;
    List<float[][]> parts = roundedParts;
    int params = sum != null ? sum.length : parts.get(0).length;
    float[][] out = new float[params][];
    IntStream.range(0, params)
        .parallel()
        .forEach(
            p -> {
              int n = sum != null ? sum[p].length : parts.get(0)[p].length;
              float[] o = new float[n];
              for (int i = 0; i < n; i++) {
                double a = sum == null ? 0 : sum[p][i];
                for (float[][] part : parts) {
                  a += part[p][i];
                }
                o[i] = (float) (a / divisor);
              }
              out[p] = o;
            });
    return out;
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    out.defaultWriteObject();
    RawArrays.writeDoubles(out, gradientSum);
    RawArrays.writeFloatParts(out, roundedParts);
  }

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    gradientSum = RawArrays.readDoubles(in);
    roundedParts = RawArrays.readFloatParts(in);
  }

  /** The batch's step metrics (ARCHITECTURE.md §2), as means over its examples. */
  public Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("loss", loss());
    m.put("rewards/anchors", rewardsAnchorsSum / count);
    m.put("rewards/negative", rewardsNegativeSum / count);
    m.put("rewards/margins", marginSum / count);
    m.put("rewards/accuracies", accuracySum / count);
    m.put("logps/anchors", logpsAnchorsSum / count);
    m.put("logps/negative", logpsNegativeSum / count);
    return m;
  }
}
