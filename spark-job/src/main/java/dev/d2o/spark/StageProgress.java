package dev.d2o.spark;

import dev.d2o.spark.io.Console;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.util.LongAccumulator;
import scala.Option;
import scala.Tuple4;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * A progress line for a stage whose executor tasks work through rows (anchors, evaluate), like the
 * train stage's step line: {@code anchors 128/768 prompts (17%) 2.4 prompts/s eta 4m26s}. Tasks add
 * the rows they finish to a named accumulator ({@link #counter()}); this listener on the driver
 * reads it from the executors' heartbeats while tasks run ({@code
 * spark.executor.heartbeatInterval}, 10 s by default) and from each finished task, and drops what a
 * failed task attempt had counted, so a retried task is not counted twice. A line is printed when
 * the count moves, at most every {@value #EVERY_SECONDS} seconds, and once at the end.
 */
public final class StageProgress extends SparkListener implements AutoCloseable {
  /** Fewest seconds between two progress lines. */
  static final double EVERY_SECONDS = 5;

  private final SparkContext sc;
  private final String stage;
  private final String unit;
  private final long total;
  private final LongAccumulator counter;
  private final Map<Long, Long> running = new HashMap<>(); // task id -> rows counted so far
  private final long start = System.nanoTime();
  private long finished;
  private long lastPrinted = -1;
  private long lastPrintNanos;

  private StageProgress(SparkContext sc, String stage, String unit, long total) {
    this.sc = sc;
    this.stage = stage;
    this.unit = unit;
    this.total = total;
    this.counter = sc.longAccumulator("d2o " + stage + " " + unit);
  }

  /**
   * Starts following {@code total} {@code unit} (e.g. "prompts") of {@code stage}; also sets the
   * Spark job description, so the Spark UI names what the jobs do.
   */
  public static StageProgress start(SparkContext sc, String stage, long total, String unit) {
    StageProgress p = new StageProgress(sc, stage, unit, total);
    sc.setJobDescription("d2o " + stage + ": " + total + " " + unit);
    sc.addSparkListener(p);
    return p;
  }

  /** The accumulator that tasks add their finished rows to (pass it into the task's closure). */
  public LongAccumulator counter() {
    return counter;
  }

  @Override
  @SuppressWarnings("deprecation")
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    // Scala 2.12 (Spark 3.5) types the updates' Seq as scala.collection.Seq, 2.13 (Spark 4) as
    // scala.collection.immutable.Seq: the wildcard compiles against both
    for (Tuple4<?, ?, ?, ? extends Seq<AccumulableInfo>> t :
        JavaConverters.seqAsJavaList(update.accumUpdates())) {
      Long rows = ours(t._4());
      if (rows != null) {
        synchronized (this) {
          running.put((Long) t._1(), rows);
        }
      }
    }
    report(false);
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    synchronized (this) {
      running.remove(end.taskInfo().taskId());
      if (end.taskInfo().successful()) {
        Long rows = ours(end.taskInfo().accumulables());
        finished += rows == null ? 0 : rows;
      }
    }
    report(false);
  }

  /** Rows done so far: finished tasks and the last heartbeat of running ones. */
  synchronized long done() {
    long n = finished;
    for (long r : running.values()) {
      n += r;
    }
    return n;
  }

  /** Stops following; prints the final line. */
  @Override
  public void close() {
    sc.removeSparkListener(this);
    report(true);
    sc.setJobDescription(null);
  }

  @SuppressWarnings("deprecation")
  private Long ours(Seq<AccumulableInfo> infos) {
    for (AccumulableInfo i : JavaConverters.seqAsJavaList(infos)) {
      Option<Object> u = i.update();
      if (i.id() == counter.id() && u.isDefined() && u.get() instanceof Long l) {
        return l;
      }
    }
    return null;
  }

  private synchronized void report(boolean last) {
    // at the end the listener bus may not have delivered every task's end yet; the driver's
    // accumulator has them (it counts a recomputed task twice, hence the cap)
    long done = last ? Math.min(total, Math.max(done(), counter.value())) : done();
    long now = System.nanoTime();
    if (!last
        && (done == lastPrinted
            || done == 0
            || done >= total // the closing line says so, with the time taken
            || (now - lastPrintNanos) / 1e9 < EVERY_SECONDS)) {
      return;
    }
    if (last && done == lastPrinted) {
      return;
    }
    lastPrinted = done;
    lastPrintNanos = now;
    Console.line(line(stage, unit, done, total, (now - start) / 1e9, last));
  }

  /** The progress line (a pure function, for tests). */
  static String line(
      String stage, String unit, long done, long total, double seconds, boolean last) {
    double rate = seconds > 0 ? done / seconds : 0;
    String tail =
        last
            ? "in " + duration(seconds)
            : "eta " + (rate > 0 ? duration((total - done) / rate) : "?");
    return String.format(
        Locale.ROOT,
        "%s %d/%d %s (%.0f%%)  %.2f %s/s  %s",
        stage,
        done,
        total,
        unit,
        total > 0 ? 100.0 * done / total : 100.0,
        rate,
        unit,
        tail);
  }

  private static String duration(double s) {
    long sec = Math.round(s);
    return sec >= 3600
        ? String.format(Locale.ROOT, "%dh%02dm", sec / 3600, sec % 3600 / 60)
        : String.format(Locale.ROOT, "%dm%02ds", sec / 60, sec % 60);
  }
}
