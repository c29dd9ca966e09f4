package dev.d2o.spark.train;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import scala.Tuple2;

/**
 * Spark's fixed cost of a train step's job on {@code local[2]}, without any model: a tool run by
 * hand (not a test). Two cached rows in two partitions and a task returning 4 bytes, as (a) the
 * step's job before {@link BatchWindow} (filter, shuffle to one task, collect: two stages), (b) one
 * stage with the rows inside the task, (c) collecting the rows first, then (b). Prints fastest,
 * median and slowest seconds. Run after {@code mvn -pl spark-job -am test-compile}, with the {@code
 * --add-opens} options of {@code bin/d2o}:
 *
 * <pre>
 * java --add-opens=... -cp spark-job/target/test-classes:spark-job/target/classes:$(cat spark-job/target/classpath.txt) \
 *     dev.d2o.spark.train.JobFloorProfile 20
 * </pre>
 */
public final class JobFloorProfile {
  private JobFloorProfile() {}

  /** Argument: repetitions (after 2 warm-up rounds). */
  public static void main(String[] args) {
    int reps = Integer.parseInt(args[0]);
    SparkSession spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("job-floor")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<Tuple2<Long, int[]>> data =
        List.of(new Tuple2<>(0L, new int[1024]), new Tuple2<>(1L, new int[1024]));
    JavaPairRDD<Long, int[]> rows =
        jsc.parallelizePairs(data, 2).persist(StorageLevel.MEMORY_AND_DISK());
    rows.count();
    Set<Long> wanted = Set.of(0L, 1L);
    Map<String, List<Double>> times = new LinkedHashMap<>();
    for (int r = 0; r < reps + 2; r++) {
      long t0 = System.nanoTime();
      rows.filter(x -> wanted.contains(x._1()))
          .mapToPair(x -> new Tuple2<>((int) (long) x._1(), x))
          .groupByKey(new One())
          .mapPartitions(it -> List.of(count(it)).iterator())
          .collect();
      double shuffle = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      jsc.parallelize(List.of(data), 1)
          .mapPartitions(it -> List.of(count(it)).iterator())
          .collect();
      double one = (System.nanoTime() - t0) / 1e9;
      t0 = System.nanoTime();
      List<Tuple2<Long, int[]>> got = rows.filter(x -> wanted.contains(x._1())).collect();
      jsc.parallelize(List.of(got), 1).mapPartitions(it -> List.of(count(it)).iterator()).collect();
      double two = (System.nanoTime() - t0) / 1e9;
      if (r >= 2) {
        times.computeIfAbsent("two stages, rows shuffled", k -> new ArrayList<>()).add(shuffle);
        times.computeIfAbsent("one stage, rows in the task", k -> new ArrayList<>()).add(one);
        times.computeIfAbsent("collect the rows, then one stage", k -> new ArrayList<>()).add(two);
      }
    }
    for (Map.Entry<String, List<Double>> e : times.entrySet()) {
      List<Double> v = new ArrayList<>(e.getValue());
      Collections.sort(v);
      System.out.printf(
          Locale.ROOT,
          "%-34s fastest %.4f s, median %.4f s, slowest %.4f s (n = %d)%n",
          e.getKey(),
          v.get(0),
          v.get(v.size() / 2),
          v.get(v.size() - 1),
          v.size());
    }
    spark.stop();
  }

  private static int count(java.util.Iterator<?> it) {
    int n = 0;
    while (it.hasNext()) {
      it.next();
      n++;
    }
    return n;
  }

  /** Every key to partition 0. */
  private static final class One extends Partitioner {
    private static final long serialVersionUID = 1L;

    @Override
    public int numPartitions() {
      return 1;
    }

    @Override
    public int getPartition(Object key) {
      return 0;
    }
  }
}
