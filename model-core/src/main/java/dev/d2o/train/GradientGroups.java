package dev.d2o.train;

/**
 * How the canonical chunks of one step are cut into G contiguous groups ({@code
 * train.gradientTasks}): group g holds chunks [⌊g·C/G⌋, ⌊(g+1)·C/G⌋). Each group is one Spark task
 * that sums its chunks in chunk order and returns one result ({@link GradientSums#forTransport}),
 * and the driver adds the results in group order; {@link LocalTrainer} does the same additions, so
 * the distributed step equals the single-process one bit for bit, and the results a step moves grow
 * with G (the executors), not with the chunks.
 */
public final class GradientGroups {
  private GradientGroups() {}

  /** The first chunk of group {@code g} of {@code groups} over {@code chunks} chunks. */
  public static int firstChunk(int g, int chunks, int groups) {
    return (int) ((long) g * chunks / groups);
  }

  /** The group that holds {@code chunk}. */
  public static int groupOf(int chunk, int chunks, int groups) {
    for (int g = groups - 1; g >= 0; g--) {
      if (chunk >= firstChunk(g, chunks, groups)) {
        return g;
      }
    }
    throw new IllegalArgumentException("chunk " + chunk + " < 0");
  }

  /** Chunks of {@code size} examples in a batch of {@code examples}. */
  public static int chunks(int examples, int size) {
    return (examples + size - 1) / size;
  }
}
