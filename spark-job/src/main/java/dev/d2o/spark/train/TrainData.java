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
 * trainer uses over the id-sorted rows, so both read the same global batches. Rows made during
 * training (an anchor refresh, a reference update) are written to the run directory first and read
 * back from there ({@link #source}), so a checkpoint can name them and a resumed run reads the same
 * rows.
 *
 * @param <R> the row type
 */
public final class TrainData<R extends Serializable> {
  private final JavaPairRDD<Long, R> rows;
  private final long size;
  private final RowKind<R> kind;
  private final int partitions;
  private final String source;

  private TrainData(
      JavaPairRDD<Long, R> rows, long size, RowKind<R> kind, int partitions, String source) {
    this.rows = rows;
    this.size = size;
    this.kind = kind;
    this.partitions = partitions;
    this.source = source;
  }

  /**
   * D²O rows: {@code anchors} (rows of {@link AnchorRow#SCHEMA}) made into training examples once,
   * indexed over {@code partitions} partitions (0 = as is).
   */
  public static TrainData<?> anchors(Dataset<Row> anchors, int partitions) {
    JavaPairRDD<Long, AnchoredExample> indexed = indexed(examples(anchors), partitions);
    return new TrainData<>(indexed, indexed.count(), new AnchorRows(), partitions, null);
  }

  /** SFT rows, already in id order, for the next-token loss. */
  public static TrainData<?> sft(JavaRDD<SftExample> rowsInIdOrder, int partitions) {
    JavaPairRDD<Long, SftExample> indexed = indexed(rowsInIdOrder, partitions);
    return new TrainData<>(indexed, indexed.count(), new SftRows(), partitions, null);
  }

  /** The training examples of an anchors table, in id order. */
  static JavaRDD<AnchoredExample> examples(Dataset<Row> anchors) {
    return anchors.orderBy("id").javaRDD().map(AnchorRow::fromRow).map(AnchoredExample::of);
  }

  /** Rows numbered by rank, spread over {@code partitions} (0 = as is), cached. */
  private static <R extends Serializable> JavaPairRDD<Long, R> indexed(
      JavaRDD<R> rowsInIdOrder, int partitions) {
    JavaPairRDD<Long, R> indexed = rowsInIdOrder.zipWithIndex().mapToPair(Tuple2::swap);
    if (partitions > 0) {
      indexed = indexed.repartition(partitions);
    }
    return indexed.persist(StorageLevel.MEMORY_AND_DISK());
  }

  /**
   * The same ids with new content, read from {@code source} (a directory of the run, relative to
   * it) as {@code rowsInIdOrder}; frees the old cache. Reading from files also cuts the lineage,
   * which would otherwise hold the weights broadcast the rows were computed with.
   */
  TrainData<R> replace(JavaRDD<R> rowsInIdOrder, String source) {
    JavaPairRDD<Long, R> next = indexed(rowsInIdOrder, partitions);
    long n = next.count();
    if (n != size) {
      throw new IllegalStateException(
          source + " holds " + n + " training rows; the run trains on " + size);
    }
    rows.unpersist(false);
    return new TrainData<>(next, size, kind, partitions, source);
  }

  /** The cached pairs. */
  JavaPairRDD<Long, R> rows() {
    return rows;
  }

  /** How the train stage treats these rows. */
  RowKind<R> kind() {
    return kind;
  }

  /**
   * Where these rows were saved during training (relative to the run directory), or null for the
   * rows the stage started with.
   */
  String source() {
    return source;
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
