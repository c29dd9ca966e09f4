package dev.d2o.spark;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;

/**
 * What the cluster did to a run, for its summary: executors added and lost (with Spark's reason)
 * and task attempts that failed and were retried. A lost executor or a failed attempt is not an
 * error of the run (the gradient work is a pure function of weights version and rows), but a user
 * should see that it happened.
 */
public final class ClusterEvents extends SparkListener {
  private int executorsAdded;
  private final List<String> executorsRemoved = new ArrayList<>();
  private int failedTaskAttempts;
  private final Map<String, Integer> failuresByReason = new LinkedHashMap<>();

  @Override
  public synchronized void onExecutorAdded(SparkListenerExecutorAdded e) {
    executorsAdded++;
  }

  @Override
  public synchronized void onExecutorRemoved(SparkListenerExecutorRemoved e) {
    executorsRemoved.add(e.executorId() + ": " + e.reason());
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
    if (e.taskInfo() != null && e.taskInfo().failed()) {
      failedTaskAttempts++;
      String reason = e.reason().getClass().getSimpleName().replace("$", "");
      failuresByReason.merge(reason, 1, Integer::sum);
    }
  }

  /** The counts, as they go into {@code summary.json} under {@code "cluster"}. */
  public synchronized Map<String, Object> summary() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("executors_added", executorsAdded);
    m.put("executors_lost", executorsRemoved.size());
    m.put("executors_lost_reasons", List.copyOf(executorsRemoved));
    m.put("failed_task_attempts", failedTaskAttempts);
    m.put("failed_task_attempts_by_reason", Map.copyOf(failuresByReason));
    return m;
  }
}
