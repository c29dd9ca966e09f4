package dev.d2o.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Canonical groups: rows with a position are cut into groups of {@code n} consecutive positions
 * ([c·n, (c+1)·n) is group c), and each group is handed to one task as a whole, in position order.
 * A sampled token or a gradient depends on the whole padded batch it was computed in (the logits of
 * a row differ in the last bits with the batch's composition: other matmul shapes), so with
 * canonical groups the results do not depend on partitioning, on which rows a task happens to hold,
 * or on retries. Generation cuts rows in id order (anchors, evaluation, the harmful-rate probe);
 * the train stage cuts a global batch by batch position into gradient chunks, exactly as the
 * single-process trainer does.
 */
public final class Groups {
  private Groups() {}

  /**
   * {@code rowsInIdOrder} as groups of {@code n} consecutive rows, spread over {@code partitions}
   * (0 = as Spark likes).
   */
  public static <T extends Serializable> JavaRDD<List<T>> of(
      JavaRDD<T> rowsInIdOrder, int n, int partitions) {
    return byPosition(rowsInIdOrder.zipWithIndex().mapToPair(Tuple2::swap), n, partitions);
  }

  /**
   * {@code (position, row)} pairs as groups of {@code n} consecutive positions, each in position
   * order, spread over {@code partitions} (0 = as Spark likes).
   */
  public static <T extends Serializable> JavaRDD<List<T>> byPosition(
      JavaPairRDD<Long, T> positioned, int n, int partitions) {
    JavaPairRDD<Long, Tuple2<Long, T>> keyed =
        positioned.mapToPair(t -> new Tuple2<>(t._1() / n, t));
    JavaPairRDD<Long, Iterable<Tuple2<Long, T>>> grouped =
        partitions > 0 ? keyed.groupByKey(partitions) : keyed.groupByKey();
    return grouped.map(
        g -> {
          List<Tuple2<Long, T>> members = new ArrayList<>();
          g._2().forEach(members::add);
          members.sort(Comparator.comparing(Tuple2::_1));
          List<T> out = new ArrayList<>(members.size());
          members.forEach(m -> out.add(m._2()));
          return out;
        });
  }
}
