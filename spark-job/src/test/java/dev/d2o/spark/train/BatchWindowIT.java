package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.train.DataOrder;
import dev.d2o.train.GradientGroups;
import dev.d2o.train.SftExample;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * A window's partitions hold exactly each step's canonical chunks, group by group, as {@link
 * GradientGroups} cuts the batch the data order gives; and only its first step's job runs the
 * shuffle.
 */
class BatchWindowIT extends SparkTestBase {

  @Test
  void eachStepsPartitionsHoldItsGroupsChunksAndLaterStepsRunOneStage() throws Exception {
    int size = 7; // not a multiple of the batch: batches cross epoch ends, rows repeat
    int batchSize = 5;
    int chunk = 2; // chunks [0, 1], [2, 3], [4]
    int groups = 2; // groups {chunk 0}, {chunks 1, 2}
    int steps = 4;
    List<SftExample> rows = new ArrayList<>();
    for (int i = 0; i < size; i++) {
      rows.add(new SftExample(String.format("r%02d", i), new int[] {i}, new int[] {i}));
    }
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    @SuppressWarnings("unchecked")
    TrainData<SftExample> data = (TrainData<SftExample>) TrainData.sft(jsc.parallelize(rows, 3), 3);
    DataOrder order = new DataOrder(11, size);
    long first = 3; // a window may start anywhere in the data
    BatchWindow<SftExample> window =
        BatchWindow.of(data, order, first, batchSize, steps, chunk, groups);
    AtomicInteger stages = new AtomicInteger();
    SparkListener count =
        new SparkListener() {
          @Override
          public void onStageSubmitted(SparkListenerStageSubmitted e) {
            stages.incrementAndGet();
          }
        };
    spark.sparkContext().addSparkListener(count);
    try {
      for (int k = 0; k < steps; k++) {
        long consumed = first + (long) k * batchSize;
        assertTrue(window.covers(data, consumed), "step " + k);
        int[] batch = order.batch(consumed, batchSize);
        stages.set(0);
        List<String> got =
            window
                .step(consumed)
                .mapPartitionsWithIndex(
                    (g, it) -> {
                      List<String> out = new ArrayList<>();
                      List<Tuple2<Integer, Iterable<Tuple2<Long, SftExample>>>> cs =
                          new ArrayList<>();
                      it.forEachRemaining(cs::add);
                      cs.sort(Comparator.comparing(Tuple2::_1));
                      for (Tuple2<Integer, Iterable<Tuple2<Long, SftExample>>> c : cs) {
                        List<Tuple2<Long, SftExample>> ms = new ArrayList<>();
                        c._2().forEach(ms::add);
                        ms.sort(Comparator.comparing(Tuple2::_1));
                        for (Tuple2<Long, SftExample> m : ms) {
                          out.add("g" + g + " c" + c._1() % 3 + " p" + m._1() + " " + m._2().id());
                        }
                      }
                      return out.iterator();
                    },
                    false)
                .collect();
        List<String> want = new ArrayList<>();
        for (int g = 0; g < groups; g++) {
          int from = GradientGroups.firstChunk(g, 3, groups);
          int to = GradientGroups.firstChunk(g + 1, 3, groups);
          for (int c = from; c < to; c++) {
            for (int pos = c * chunk; pos < Math.min(batchSize, (c + 1) * chunk); pos++) {
              want.add("g" + g + " c" + c + " p" + pos + " " + rows.get(batch[pos]).id());
            }
          }
        }
        assertEquals(want, got, "step " + k + " at " + consumed);
        spark.sparkContext().listenerBus().waitUntilEmpty(); // listener events are asynchronous
        assertEquals(k == 0 ? 2 : 1, stages.get(), "stages run by step " + k + "'s job");
      }
    } finally {
      spark.sparkContext().removeSparkListener(count);
      data.release();
    }
    assertFalse(window.covers(data, first + (long) steps * batchSize), "past the window");
    assertFalse(window.covers(data, first + 1), "not at a step's start");
    assertFalse(window.covers(data, first - batchSize), "before the window");
  }
}
