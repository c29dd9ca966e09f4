package dev.d2o.spark.train;

import dev.d2o.spark.FaultInjection;
import dev.d2o.spark.PolicyReplica;
import dev.d2o.spark.ProcessMemory;
import dev.d2o.train.GradientGroups;
import dev.d2o.train.GradientSums;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.Partitioner;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaPairRDD;
import scala.Tuple2;

/**
 * One step's gradient sums, MLlib style: the math is model-core's ({@link GradientSums}), the
 * transport is here. The global batch is cut into canonical chunks by batch position (positions
 * [c·chunk, (c+1)·chunk) form chunk c, exactly as the single-process trainer cuts it), and the
 * chunks into G contiguous groups ({@link GradientGroups}, {@code train.gradientTasks}). A
 * partitioner sends each group's chunks to one task, which sums them in chunk order on its
 * executor's cached replica and returns one result, rounded to float ({@link
 * GradientSums#forTransport}); the driver adds the G results in group order. So the step does not
 * depend on partitioning or completion order (it equals {@code LocalTrainer} with the same G bit
 * for bit), a retried task recomputes the same sums, and the bytes of results grow with G, the
 * executors, not with the chunks.
 */
final class GradientStep {
  private final SparkContext sc;
  private final ReplicaSpec spec;
  private final int groups;

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

  GradientStep(SparkContext sc, ReplicaSpec spec, int groups) {
    this.sc = sc;
    this.spec = spec;
    this.groups = groups;
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
   * The gradient sums of the rows at {@code batch} (indices into {@code data}) at {@code weights}.
   */
  <R extends Serializable> Outcome sums(TrainData<R> data, BroadcastWeights weights, int[] batch) {
    Map<Long, List<Long>> positions = new HashMap<>(); // a row may appear twice across an epoch end
    for (int pos = 0; pos < batch.length; pos++) {
      positions.computeIfAbsent((long) batch[pos], k -> new ArrayList<>()).add((long) pos);
    }
    int chunk = spec.chunk();
    int chunks = GradientGroups.chunks(batch.length, chunk);
    int tasks = groups;
    // locals, so the task closures do not capture this (which is not serializable)
    ReplicaSpec replica = spec;
    RowKind<R> kind = data.kind();
    JavaPairRDD<Integer, Tuple2<Long, R>> byChunk =
        data.rows()
            .filter(t -> positions.containsKey(t._1()))
            .flatMapToPair(
                t ->
                    positions.get(t._1()).stream()
                        .map(pos -> new Tuple2<>((int) (pos / chunk), new Tuple2<>(pos, t._2())))
                        .iterator());
    long t0 = System.nanoTime();
    List<TaskResult> results =
        new ArrayList<>(
            byChunk
                .groupByKey(new ChunkGroups(chunks, tasks))
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
      ReplicaSpec replica,
      BroadcastWeights weights) {
    FaultInjection.maybeFail("train");
    FaultInjection.maybeDelay("train");
    List<Tuple2<Integer, Iterable<Tuple2<Long, R>>>> chunks = new ArrayList<>();
    it.forEachRemaining(chunks::add);
    if (chunks.isEmpty()) {
      return java.util.Collections.emptyIterator();
    }
    chunks.sort(Comparator.comparing(Tuple2::_1));
    long t0 = System.nanoTime();
    PolicyReplica policy = replica.replica();
    boolean synced = policy.sync(replica.runId(), weights.version(), weights);
    double sync = StepTimes.since(t0);
    long t1 = System.nanoTime();
    GradientSums sums = GradientSums.zero();
    for (Tuple2<Integer, Iterable<Tuple2<Long, R>>> c : chunks) { // in chunk order
      List<Tuple2<Long, R>> members = new ArrayList<>();
      c._2().forEach(members::add);
      members.sort(Comparator.comparing(Tuple2::_1));
      List<R> rows = members.stream().map(Tuple2::_2).toList();
      sums.merge(kind.gradient(policy, replica.runId(), weights, rows));
    }
    double compute = StepTimes.since(t1);
    long t2 = System.nanoTime();
    sums.forTransport();
    StepOverheads.Task times = new StepOverheads.Task(sync, compute, StepTimes.since(t2));
    String executor = SparkEnv.get() == null ? "?" : SparkEnv.get().executorId();
    return List.of(
            new TaskResult(group, sums, synced, executor, ProcessMemory.peakRssBytes(), times))
        .iterator();
  }

  /** Chunk c → its group's partition: G partitions, one task each. */
  static final class ChunkGroups extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int chunks;
    private final int groups;

    ChunkGroups(int chunks, int groups) {
      this.chunks = chunks;
      this.groups = groups;
    }

    @Override
    public int numPartitions() {
      return groups;
    }

    @Override
    public int getPartition(Object key) {
      return GradientGroups.groupOf((Integer) key, chunks, groups);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ChunkGroups c && c.chunks == chunks && c.groups == groups;
    }

    @Override
    public int hashCode() {
      return 31 * chunks + groups;
    }
  }
}
