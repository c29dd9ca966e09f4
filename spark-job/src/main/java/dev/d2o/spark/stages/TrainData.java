package dev.d2o.spark.stages;

import dev.d2o.train.TrainExample;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The training rows as (index, example) pairs, cached on the executors. The index is the row's rank
 * by id, the same numbering a single-process trainer uses over the id-sorted rows, so both read the
 * same global batches.
 */
public final class TrainData<T extends java.io.Serializable> {
  private final JavaPairRDD<Long, T> rows;
  private final long size;

  private TrainData(JavaPairRDD<Long, T> rows, long size) {
    this.rows = rows;
    this.size = size;
  }

  /**
   * Indexes {@code anchors} (rows of {@link AnchorRow#SCHEMA}) over {@code partitions} partitions
   * (0 = as is).
   */
  public static TrainData<AnchorRow> of(Dataset<Row> anchors, int partitions) {
    return index(anchors.orderBy("id").javaRDD().map(AnchorRow::fromRow), partitions);
  }

  /** Indexes rows already in id order. */
  public static <R extends java.io.Serializable> TrainData<R> index(
      org.apache.spark.api.java.JavaRDD<R> rows, int partitions) {
    JavaPairRDD<Long, R> indexed = rows.zipWithIndex().mapToPair(Tuple2::swap);
    if (partitions > 0) {
      indexed = indexed.repartition(partitions);
    }
    indexed = indexed.persist(StorageLevel.MEMORY_AND_DISK());
    return new TrainData<>(indexed, indexed.count());
  }

  /** The example of an anchor row. */
  public static TrainExample toExample(AnchorRow a) {
    return new TrainExample(
        a.id(),
        a.promptIds(),
        a.negativeIds(),
        a.anchorIds(),
        a.refLogpAnchors(),
        a.refLogpNegative());
  }

  /**
   * The same indices over new rows (after a reference update or an anchor refresh); frees the old
   * cache. The new rows are checkpointed (Spark's reliable checkpoint directory must be set), which
   * cuts their lineage: it would otherwise hold every earlier weights broadcast, and those are
   * destroyed after each step.
   */
  public TrainData<T> replace(JavaPairRDD<Long, T> rebuilt) {
    JavaPairRDD<Long, T> next = rebuilt.persist(StorageLevel.MEMORY_AND_DISK());
    next.checkpoint();
    next.count();
    rows.unpersist(false);
    return new TrainData<>(next, size);
  }

  /** The cached pairs. */
  public JavaPairRDD<Long, T> rows() {
    return rows;
  }

  /** Number of examples. */
  public long size() {
    return size;
  }

  /** Frees the cache. */
  public void release() {
    rows.unpersist(false);
  }
}
