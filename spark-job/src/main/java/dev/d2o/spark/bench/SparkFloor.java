package dev.d2o.spark.bench;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.bench.Stats;
import dev.d2o.spark.train.WeightsPayload;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;

/**
 * What Spark costs per train step when the step does no work, measured in the bench's own session:
 * (a) an empty job of the step's shape (one stage of G tasks that return nothing), (b) a broadcast
 * of the step's weight bytes as the step publishes them (a copy of the weights, raw floats, then
 * destroyed), and (c) both: the empty job's tasks reading the broadcast. A Spark step cannot be
 * faster than the single-process step plus (c), whatever the gradient work's design; {@link
 * #impliedRatio} is that bound.
 *
 * @param tasks G, the step's tasks
 * @param weightFloats the step's weight floats (all trainable weights)
 * @param emptyJob (a), seconds per job
 * @param broadcast (b), seconds per broadcast and destroy
 * @param both (c), seconds per broadcast, job and destroy
 */
public record SparkFloor(
    int tasks, long weightFloats, Stats emptyJob, Stats broadcast, Stats both) {
  /**
   * The best Spark ÷ single-process ratio the floor allows: (single step + (c)) ÷ single step,
   * fastest of each.
   */
  public double impliedRatio(Stats local) {
    return (local.min() + both.min()) / local.min();
  }

  /**
   * Measures the three, one untimed warm-up and {@code reps} timed repetitions each, on weights of
   * {@code sizes} floats per array (zeros: broadcasts are not compressed, {@code LocalSpark}, so
   * the values do not change the cost).
   */
  public static SparkFloor measure(SparkSession spark, int tasks, int[] sizes, int reps) {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    float[][] weights = new float[sizes.length][];
    long floats = 0;
    for (int i = 0; i < sizes.length; i++) {
      weights[i] = new float[sizes[i]];
      floats += sizes[i];
    }
    List<Integer> groups = new ArrayList<>();
    for (int g = 0; g < tasks; g++) {
      groups.add(g);
    }
    JavaRDD<Integer> rdd = sc.parallelize(groups, tasks);
    Stats job = Stats.time(1, reps, () -> rdd.mapPartitions(SparkFloor::nothing).collect());
    Stats bc = Stats.time(1, reps, () -> publish(sc, weights).destroy());
    Stats both =
        Stats.time(
            1,
            reps,
            () -> {
              Broadcast<WeightsPayload> b = publish(sc, weights);
              rdd.mapPartitions(it -> read(b)).collect();
              b.destroy();
            });
    return new SparkFloor(tasks, floats, job, bc, both);
  }

  /** The floor under the shape's {@code spark} JSON object, as {@code floor}. */
  public void write(ObjectNode spark, Stats local) {
    ObjectNode f = spark.putObject("floor");
    f.put("tasks", tasks).put("weight_bytes", 4 * weightFloats);
    f.set("empty_job", BenchReport.stats(emptyJob));
    f.set("broadcast", BenchReport.stats(broadcast));
    f.set("both", BenchReport.stats(both));
    f.put("implied_ratio", impliedRatio(local));
  }

  /** The floor as the markdown row's note says it. */
  public String note(Stats local) {
    return String.format(
        "floor with no work (fastest of %d): empty job of %d task(s) %.3f s, broadcast of %.2f MB"
            + " + destroy %.3f s, both %.3f s = %.0f%% of the single-process step, so Spark ÷"
            + " single process ≥ ×%.2f",
        both.seconds().length,
        tasks,
        emptyJob.min(),
        4 * weightFloats / 1e6,
        broadcast.min(),
        both.min(),
        100 * both.min() / local.min(),
        impliedRatio(local));
  }

  private static Broadcast<WeightsPayload> publish(JavaSparkContext sc, float[][] weights) {
    return sc.broadcast(WeightsPayload.copyOf(weights)); // as WeightsPublisher publishes them
  }

  private static Iterator<Integer> nothing(Iterator<Integer> it) {
    return java.util.Collections.emptyIterator();
  }

  private static Iterator<Integer> read(Broadcast<WeightsPayload> b) {
    b.value(); // the task's read of the weights, as a lagging replica's sync does
    return java.util.Collections.emptyIterator();
  }
}
