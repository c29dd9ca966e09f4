package dev.d2o.spark.train;

import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.train.SftExample;
import java.io.Serializable;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The training rows as (index, row) pairs, cached on the executors, and how the train stage treats
 * them ({@link RowKind}). The index is the row's rank by id, the same numbering a single-process
 * trainer uses over the id-sorted rows, so both read the same global batches.
 *
 * @param <R> the row type
 */
public final class TrainData<R extends Serializable> {
  private final JavaPairRDD<Long, R> rows;
  private final long size;
  private final RowKind<R> kind;

  private TrainData(JavaPairRDD<Long, R> rows, long size, RowKind<R> kind) {
    this.rows = rows;
    this.size = size;
    this.kind = kind;
  }

  /**
   * D²O rows: {@code anchors} (rows of {@link AnchorRow#SCHEMA}) made into training examples once,
   * indexed over {@code partitions} partitions (0 = as is).
   */
  public static TrainData<?> anchors(Dataset<Row> anchors, int partitions) {
    JavaRDD<AnchoredExample> rows =
        anchors.orderBy("id").javaRDD().map(AnchorRow::fromRow).map(AnchoredExample::of);
    return index(rows, partitions, new AnchorRows());
  }

  /** SFT rows, already in id order, for the next-token loss. */
  public static TrainData<?> sft(JavaRDD<SftExample> rowsInIdOrder, int partitions) {
    return index(rowsInIdOrder, partitions, new SftRows());
  }

  private static <R extends Serializable> TrainData<R> index(
      JavaRDD<R> rows, int partitions, RowKind<R> kind) {
    JavaPairRDD<Long, R> indexed = rows.zipWithIndex().mapToPair(Tuple2::swap);
    if (partitions > 0) {
      indexed = indexed.repartition(partitions);
    }
    indexed = indexed.persist(StorageLevel.MEMORY_AND_DISK());
    return new TrainData<>(indexed, indexed.count(), kind);
  }

  /**
   * The same indices over new rows (after a reference update or an anchor refresh); frees the old
   * cache. The new rows are checkpointed (Spark's reliable checkpoint directory must be set), which
   * cuts their lineage: it would otherwise hold every earlier weights broadcast, and those are
   * destroyed after each step.
   */
  TrainData<R> replace(JavaPairRDD<Long, R> rebuilt) {
    JavaPairRDD<Long, R> next = rebuilt.persist(StorageLevel.MEMORY_AND_DISK());
    next.checkpoint();
    next.count();
    rows.unpersist(false);
    return new TrainData<>(next, size, kind);
  }

  /** The cached pairs. */
  JavaPairRDD<Long, R> rows() {
    return rows;
  }

  /** How the train stage treats these rows. */
  RowKind<R> kind() {
    return kind;
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
