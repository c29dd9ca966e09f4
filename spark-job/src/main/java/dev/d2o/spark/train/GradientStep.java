package dev.d2o.spark.train;

import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.PolicyReplica;
import dev.d2o.spark.ProcessMemory;
import dev.d2o.train.DataOrder;
import dev.d2o.train.GradientGroups;
import dev.d2o.train.GradientSums;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * One step's gradient sums, MLlib style: the math is model-core's ({@link GradientSums}), the
 * transport is here. The global batch is cut into canonical chunks by batch position (positions
 * [c·chunk, (c+1)·chunk) form chunk c, exactly as the single-process trainer cuts it), and the
 * chunks into G contiguous groups ({@link GradientGroups}, {@code train.gradientTasks}). The rows
 * of the next steps are routed to their groups' partitions by one shuffle ({@link BatchWindow});
 * each step's job is one stage of G tasks, each summing its group's chunks in chunk order on its
 * executor's cached replica and returning one result, rounded to float ({@link
 * GradientSums#forTransport}); the driver adds the G results in group order. So the step does not
 * depend on partitioning or completion order (it equals {@code LocalTrainer} with the same G bit
 * for bit), a retried task recomputes the same sums, and the bytes of results grow with G, the
 * executors, not with the chunks.
 */
final class GradientStep implements AutoCloseable {
  private final ReplicaSpec spec;
  // Sent once per stage, not in every task: the spec carries the Hadoop configuration (~32 KB,
  // several ms to deserialize per task), and a task's closure should hold only a handle.
  private final Broadcast<ReplicaSpec> specBroadcast;
  private final int groups;
  private final int batchSize;
  private BatchWindow<?> window; // the steps whose rows are routed; rebuilt when it runs out

  /** What a step's gradient tasks returned and moved. */
  record Outcome(
      GradientSums sums,
      long gradientBytes,
      int replicasSynced,
      int executors,
      long peakRssBytes,
      StepOverheads overheads) {}

  /**
   * One task's result: its group, its sums (gradient rounded to float; Spark serializes the record
   * as it does every task result), and what its executor did.
   */
  record TaskResult(
      int group,
      GradientSums sums,
      boolean synced,
      String executor,
      long peakRss,
      StepOverheads.Task times)
      implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  GradientStep(SparkContext sc, ReplicaSpec spec, int groups, int batchSize) {
    this.spec = spec;
    this.batchSize = batchSize;
    this.specBroadcast = JavaSparkContext.fromSparkContext(sc).broadcast(spec);
    this.groups = groups;
  }

  /** Destroys the spec's broadcast. */
  @Override
  public void close() {
    specBroadcast.destroy();
  }

  /**
   * G for a run: {@code configured} when > 0, else the executors at the start of training (1 in
   * local mode, where the driver is the only executor).
   */
  static int groups(SparkContext sc, int configured) {
    if (configured > 0) {
      return configured;
    }
    if (sc.isLocal()) {
      return 1;
    }
    return Math.max(1, sc.getExecutorMemoryStatus().size() - 1); // the driver is listed too
  }

  /**
   * The gradient sums of the batch that follows {@code consumed} examples of {@code data} in {@code
   * order}, at {@code weights}; {@code stepsLeft} bounds the steps a new {@link BatchWindow}
   * routes.
   */
  <R extends Serializable> Outcome sums(
      TrainData<R> data, BroadcastWeights weights, DataOrder order, long consumed, int stepsLeft) {
    if (window == null || !window.covers(data, consumed)) {
      window =
          BatchWindow.of(
              data,
              order,
              consumed,
              batchSize,
              Math.max(1, Math.min(stepsLeft, BatchWindow.MAX_STEPS)),
              spec.chunk(),
              groups);
    }
    @SuppressWarnings("unchecked") // covers() checked that the window is of these rows
    BatchWindow<R> rows = (BatchWindow<R>) window;
    // locals, so the task closures do not capture this (which is not serializable)
    Broadcast<ReplicaSpec> replica = specBroadcast;
    RowKind<R> kind = data.kind();
    long t0 = System.nanoTime();
    List<TaskResult> results =
        new ArrayList<>(
            rows.step(consumed)
                .mapPartitionsWithIndex(
                    (group, it) -> task(group, it, kind, replica, weights), false)
                .collect());
    double job = StepTimes.since(t0);
    long t1 = System.nanoTime();
    results.sort(Comparator.comparingInt(TaskResult::group));
    GradientSums sums = GradientSums.zero();
    long bytes = 0;
    long rss = -1;
    int synced = 0;
    java.util.Set<String> executors = new java.util.HashSet<>();
    for (TaskResult r : results) { // in group order, whatever order the tasks finished in
      bytes += r.sums().gradientBytes();
      sums.merge(r.sums());
      rss = Math.max(rss, r.peakRss());
      synced += r.synced() ? 1 : 0;
      executors.add(r.executor());
    }
    double merge = StepTimes.since(t1);
    StepOverheads overheads =
        StepOverheads.of(job, merge, results.stream().map(TaskResult::times).toList());
    return new Outcome(sums, bytes, synced, executors.size(), rss, overheads);
  }

  private static <R extends Serializable> java.util.Iterator<TaskResult> task(
      int group,
      java.util.Iterator<Tuple2<Integer, Iterable<Tuple2<Long, R>>>> it,
      RowKind<R> kind,
      Broadcast<ReplicaSpec> spec,
      BroadcastWeights weights) {
    FaultInjection.maybeFail("train");
    FaultInjection.maybeDelay("train");
    List<Tuple2<Integer, Iterable<Tuple2<Long, R>>>> chunks = new ArrayList<>();
    it.forEachRemaining(chunks::add);
    if (chunks.isEmpty()) {
      return java.util.Collections.emptyIterator();
    }
    chunks.sort(Comparator.comparing(Tuple2::_1));
    ReplicaSpec replica = spec.value();
    List<R> rows = new ArrayList<>(); // the group's rows by batch position
    for (Tuple2<Integer, Iterable<Tuple2<Long, R>>> c : chunks) { // in chunk order
      List<Tuple2<Long, R>> members = new ArrayList<>();
      c._2().forEach(members::add);
      members.sort(Comparator.comparing(Tuple2::_1));
      members.forEach(m -> rows.add(m._2()));
    }
    // A replica of its own while this task runs: tasks of one JVM compute at the same time
    try (PolicyReplica.Lease lease = replica.borrow()) {
      PolicyReplica policy = lease.replica();
      long t0 = System.nanoTime();
      boolean synced = policy.sync(replica.runId(), weights.version(), weights);
      double sync = StepTimes.since(t0);
      // One call over the group's chunks: the group's chunks are consecutive canonical chunks and
      // only the batch's last one may be short, so the computer cuts the rows into the same chunks
      // and adds them in the same order, into one double sum. A call per chunk would allocate a
      // double sum per chunk (8 bytes per weight) and add them again: at 124M parameters, 1 GB
      // and one more pass over it per extra chunk.
      long t1 = System.nanoTime();
      GradientSums sums = kind.gradient(policy, replica.runId(), weights, rows);
      double compute = StepTimes.since(t1);
      long[] interval = policy.lastCompute();
      long t2 = System.nanoTime();
      sums.forTransport();
      StepOverheads.Task times =
          new StepOverheads.Task(sync, compute, StepTimes.since(t2), interval[0], interval[1]);
      return result(group, sums, synced, times);
    }
  }

  private static java.util.Iterator<TaskResult> result(
      int group, GradientSums sums, boolean synced, StepOverheads.Task times) {
    String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
    return List.of(
            new TaskResult(group, sums, synced, executor, ProcessMemory.peakRssBytes(), times))
        .iterator();
  }
}
