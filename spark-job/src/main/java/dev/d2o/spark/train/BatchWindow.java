package dev.d2o.spark.train;

import dev.d2o.train.DataOrder;
import dev.d2o.train.GradientGroups;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.rdd.PartitionPruningRDD;
import scala.Tuple2;
import scala.reflect.ClassTag;
import scala.reflect.ClassTag$;

/**
 * The global batches of the next W steps routed to their gradient tasks by one shuffle. A step's
 * rows live in the executors' cached {@link TrainData}, and a task needs its group's chunks: moving
 * them is a shuffle, which costs a second stage and shuffle files. Routing W steps at once makes
 * that a cost per window: partition {@code k·G + g} holds group g of step k, the window's first job
 * writes the shuffle, and each step's job then runs one stage of G tasks over its own partitions
 * (Spark reuses a shuffle's map outputs across jobs). Measured with a 4-byte task on {@code
 * local[2]} under load (see the README's bench section): a job with the shuffle 57 ms fastest, 147
 * ms median; one stage 19 ms, 45 ms.
 *
 * <p>Within a step nothing changes: key {@code k·C + c} is chunk c of step k, so a task still sorts
 * its chunks by key and their members by batch position, and the sums are those of {@link
 * GradientGroups}.
 *
 * @param <R> the row type
 */
final class BatchWindow<R extends Serializable> {
  /** Steps per window: bounds the rows written per shuffle (W · batch size) and its partitions. */
  static final int MAX_STEPS = 64;

  private final TrainData<R> data;
  private final long firstConsumed;
  private final int batchSize;
  private final int steps;
  private final int groups;
  private final JavaPairRDD<Integer, Iterable<Tuple2<Long, R>>> routed;

  private BatchWindow(
      TrainData<R> data,
      long firstConsumed,
      int batchSize,
      int steps,
      int groups,
      JavaPairRDD<Integer, Iterable<Tuple2<Long, R>>> routed) {
    this.data = data;
    this.firstConsumed = firstConsumed;
    this.batchSize = batchSize;
    this.steps = steps;
    this.groups = groups;
    this.routed = routed;
  }

  /**
   * The window of the {@code steps} batches of {@code batchSize} that follow {@code consumed}
   * examples in {@code order}, cut into chunks of {@code chunk} and G = {@code groups} groups.
   */
  static <R extends Serializable> BatchWindow<R> of(
      TrainData<R> data,
      DataOrder order,
      long consumed,
      int batchSize,
      int steps,
      int chunk,
      int groups) {
    int chunks = GradientGroups.chunks(batchSize, chunk);
    // row index → its slots (step k, batch position): a row may appear more than once
    Map<Long, List<Long>> slots = new HashMap<>();
    for (int k = 0; k < steps; k++) {
      int[] batch = order.batch(consumed + (long) k * batchSize, batchSize);
      for (int pos = 0; pos < batchSize; pos++) {
        slots
            .computeIfAbsent((long) batch[pos], i -> new ArrayList<>())
            .add((long) k * batchSize + pos);
      }
    }
    int size = batchSize; // locals, so the closures do not capture the window
    JavaPairRDD<Integer, Iterable<Tuple2<Long, R>>> routed =
        data.rows()
            .filter(t -> slots.containsKey(t._1()))
            .flatMapToPair(
                t ->
                    slots.get(t._1()).stream()
                        .map(
                            s -> {
                              int k = (int) (s / size);
                              long pos = s % size;
                              int key = k * chunks + (int) (pos / chunk); // chunk of step k
                              return new Tuple2<>(key, new Tuple2<>(pos, t._2()));
                            })
                        .iterator())
            .groupByKey(new StepGroups(chunks, groups, steps));
    return new BatchWindow<>(data, consumed, batchSize, steps, groups, routed);
  }

  /** Whether this window holds the batch after {@code consumed} examples of {@code rows}. */
  boolean covers(TrainData<?> rows, long consumed) {
    long offset = consumed - firstConsumed;
    return rows == data && offset >= 0 && offset % batchSize == 0 && offset / batchSize < steps;
  }

  /**
   * The chunks of the batch after {@code consumed} examples ({@link #covers} it): G partitions,
   * partition g holding group g's chunks.
   */
  JavaPairRDD<Integer, Iterable<Tuple2<Long, R>>> step(long consumed) {
    int first = (int) ((consumed - firstConsumed) / batchSize) * groups;
    int g = groups;
    PartitionPruningRDD<Tuple2<Integer, Iterable<Tuple2<Long, R>>>> pruned =
        PartitionPruningRDD.create(routed.rdd(), new InRange(first, first + g));
    return new JavaPairRDD<>(pruned, anyRef(), anyRef());
  }

  /** A class tag for a Java generic type (Spark's Java API does the same). */
  @SuppressWarnings("unchecked")
  private static <T> ClassTag<T> anyRef() {
    return (ClassTag<T>) ClassTag$.MODULE$.AnyRef();
  }

  /** Partition indices in [from, to). */
  private static final class InRange extends scala.runtime.AbstractFunction1<Object, Object>
      implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int from;
    private final int to;

    InRange(int from, int to) {
      this.from = from;
      this.to = to;
    }

    @Override
    public Object apply(Object index) {
      int i = (Integer) index;
      return i >= from && i < to;
    }
  }

  /** Key k·C + c (chunk c of step k) → partition k·G + (c's group). */
  static final class StepGroups extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int chunks;
    private final int groups;
    private final int steps;

    StepGroups(int chunks, int groups, int steps) {
      this.chunks = chunks;
      this.groups = groups;
      this.steps = steps;
    }

    @Override
    public int numPartitions() {
      return steps * groups;
    }

    @Override
    public int getPartition(Object key) {
      int k = (Integer) key;
      return (k / chunks) * groups + GradientGroups.groupOf(k % chunks, chunks, groups);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof StepGroups s
          && s.chunks == chunks
          && s.groups == groups
          && s.steps == steps;
    }

    @Override
    public int hashCode() {
      return (31 * chunks + groups) * 31 + steps;
    }
  }
}
