package dev.d2o.train;

import java.util.Random;

/**
 * The order in which training examples are consumed: a per-epoch Fisher–Yates shuffle seeded by
 * (seed, epoch). The position in the data is a function of the number of examples consumed, so a
 * resumed run, and a distributed run that asks which examples make up a step's global batch, read
 * exactly the batches of an uninterrupted local run.
 */
public final class DataOrder {
  private final long seed;
  private final int size;
  private long epoch = -1;
  private int[] permutation;

  /** The order of a data set of {@code size} examples under {@code seed}. */
  public DataOrder(long seed, int size) {
    if (size < 1) {
      throw new IllegalArgumentException("a data set needs at least one example, got " + size);
    }
    this.seed = seed;
    this.size = size;
  }

  /** Indices of the {@code batchSize} examples that follow the first {@code consumed} ones. */
  public int[] batch(long consumed, int batchSize) {
    int[] out = new int[batchSize];
    for (int i = 0; i < batchSize; i++) {
      long g = consumed + i;
      out[i] = permutation(g / size)[(int) (g % size)];
    }
    return out;
  }

  /** Number of examples. */
  public int size() {
    return size;
  }

  private int[] permutation(long e) {
    if (e != epoch) {
      Random rnd = new Random(seed * 1_000_003L + e);
      permutation = new int[size];
      for (int i = 0; i < size; i++) {
        permutation[i] = i;
      }
      for (int i = size - 1; i > 0; i--) {
        int j = rnd.nextInt(i + 1);
        int t = permutation[i];
        permutation[i] = permutation[j];
        permutation[j] = t;
      }
      epoch = e;
    }
    return permutation;
  }
}
