package dev.d2o.spark.train;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a Spark gradient step's wall time went besides the gradient work, as {@code timing/*}
 * metrics. Tasks time their own phases ({@link Task}); the driver times the job (from submitting it
 * to holding every result) and its sum of the results. What the job took beyond its slowest task's
 * own phases is Spark's: scheduling and launching the tasks, shuffling the rows to them, and
 * serializing, storing and fetching their results ({@code timing/job_overhead}).
 *
 * @param job wall seconds of the gradient job on the driver (submit to collected results)
 * @param merge wall seconds of the driver's sum of the results
 * @param replicaSync the slowest task's seconds reading the broadcast into its replica
 * @param compute the slowest task's seconds of forward/backward (with the sums over its chunks)
 * @param transport the slowest task's seconds rounding its sum to float for the trip
 * @param jobOverhead the job's seconds beyond its slowest task's phases
 * @param overlap seconds during which every task of the step was computing at once (0 with one
 *     task): how much the G tasks of one JVM ran in parallel rather than in turns
 */
record StepOverheads(
    double job,
    double merge,
    double replicaSync,
    double compute,
    double transport,
    double jobOverhead,
    double overlap) {

  /**
   * One task's own phases, in seconds.
   *
   * @param sync reading the broadcast into the replica (0 when it was current)
   * @param compute forward/backward and the sums over the task's chunks
   * @param transport rounding the sum to float
   * @param computeStart when the gradient computation began, in wall-clock nanoseconds since the
   *     epoch (comparable between the JVMs of one machine)
   * @param computeEnd when it ended, likewise
   */
  record Task(double sync, double compute, double transport, long computeStart, long computeEnd)
      implements Serializable {
    private static final long serialVersionUID = 2L;

    /** A task whose compute interval is unknown. */
    Task(double sync, double compute, double transport) {
      this(sync, compute, transport, 0, 0);
    }

    double total() {
      return sync + compute + transport;
    }
  }

  /** The overheads of a job of {@code job} seconds whose tasks reported {@code tasks}. */
  static StepOverheads of(double job, double merge, List<Task> tasks) {
    Task slowest = tasks.stream().max((a, b) -> Double.compare(a.total(), b.total())).orElse(null);
    if (slowest == null) {
      return new StepOverheads(job, merge, 0, 0, 0, job, 0);
    }
    return new StepOverheads(
        job,
        merge,
        slowest.sync(),
        slowest.compute(),
        slowest.transport(),
        Math.max(0, job - slowest.total()),
        overlap(tasks));
  }

  /** Seconds of the intersection of the tasks' compute intervals; 0 for fewer than two tasks. */
  static double overlap(List<Task> tasks) {
    if (tasks.size() < 2) {
      return 0;
    }
    long start = tasks.stream().mapToLong(Task::computeStart).max().getAsLong();
    long end = tasks.stream().mapToLong(Task::computeEnd).min().getAsLong();
    return Math.max(0, end - start) / 1e9;
  }

  /** As {@code timing/*} metrics. */
  Map<String, Double> metrics() {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("timing/job", job);
    m.put("timing/job_overhead", jobOverhead);
    m.put("timing/replica_sync", replicaSync);
    m.put("timing/task_compute", compute);
    m.put("timing/task_transport", transport);
    m.put("timing/task_overlap", overlap);
    m.put("timing/result_merge", merge);
    return m;
  }
}
