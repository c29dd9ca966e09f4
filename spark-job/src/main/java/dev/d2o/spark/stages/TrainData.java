package dev.d2o.spark.stages;

import dev.d2o.train.TrainExample;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * The training rows as (index, example) pairs, cached on the executors. The index is the row's rank by id, the same
 * numbering a single-process trainer uses over the id-sorted rows, so both read the same global batches.
 */
public final class TrainData {
  private final JavaPairRDD<Long, TrainExample> rows;
  private final long size;

  private TrainData(JavaPairRDD<Long, TrainExample> rows, long size) {
    this.rows = rows;
    this.size = size;
  }

  /** Indexes {@code anchors} (rows of {@link AnchorRow#SCHEMA}) over {@code partitions} partitions (0 = as is). */
  public static TrainData of(Dataset<Row> anchors, int partitions) {
    JavaPairRDD<Long, TrainExample> indexed = anchors.orderBy("id").javaRDD()
        .map(r -> toExample(AnchorRow.fromRow(r)))
        .zipWithIndex()
        .mapToPair(Tuple2::swap);
    if (partitions > 0) {
      indexed = indexed.repartition(partitions);
    }
    indexed = indexed.persist(StorageLevel.MEMORY_AND_DISK());
    return new TrainData(indexed, indexed.count());
  }

  /** The example of an anchor row. */
  public static TrainExample toExample(AnchorRow a) {
    return new TrainExample(a.id(), a.promptIds(), a.negativeIds(), a.anchorIds(), a.refLogpAnchors(),
        a.refLogpNegative());
  }

  /** A copy whose rows went through {@code f} (a reference or anchor refresh). */
  public TrainData map(org.apache.spark.api.java.function.Function<TrainExample, TrainExample> f) {
    JavaPairRDD<Long, TrainExample> next = rows.mapValues(f).persist(StorageLevel.MEMORY_AND_DISK());
    next.count();
    rows.unpersist(false);
    return new TrainData(next, size);
  }

  /** The cached pairs. */
  public JavaPairRDD<Long, TrainExample> rows() {
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
