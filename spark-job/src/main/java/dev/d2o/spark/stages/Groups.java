package dev.d2o.spark.stages;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/**
 * Canonical groups for generation on the executors: rows in id order are cut into groups of {@code
 * n} consecutive rows, and each group is generated as a whole by one task. A sampled token depends
 * on the logits of its row, and those differ in the last bits with the composition of the padded
 * batch (different matmul shapes); with canonical groups the batches, and so the samples, do not
 * depend on partitioning, on which rows a task happens to hold, or on retries. (The train stage
 * cuts its gradient chunks the same way.)
 */
final class Groups {
  private Groups() {}

  /**
   * {@code rows} (already in id order) as groups of {@code n}, spread over {@code partitions} (0 =
   * as Spark likes).
   */
  static <T extends Serializable> JavaRDD<List<T>> of(
      JavaRDD<T> rowsInIdOrder, int n, int partitions) {
    var keyed =
        rowsInIdOrder
            .zipWithIndex()
            .mapToPair(t -> new Tuple2<>(t._2() / n, new Tuple2<>(t._2(), t._1())));
    var grouped = partitions > 0 ? keyed.groupByKey(partitions) : keyed.groupByKey();
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
