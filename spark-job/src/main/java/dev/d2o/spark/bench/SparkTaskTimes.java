package dev.d2o.spark.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;

/**
 * Spark's own per-task timings, added up per training step (the jobs whose description is a step's,
 * {@code "d2o train step n/N"}): deserializing the task on the executor, serializing its result,
 * the driver fetching a result too large to travel with the status update (from {@link
 * TaskInfo#gettingResultTime()} to the task's finish), and the executors' garbage collection.
 * Listener events arrive asynchronously: {@link #awaitSteps} waits for them.
 */
final class SparkTaskTimes extends SparkListener {
  /**
   * Seconds per step of: deserialize, result serialization, getting results, GC; and the step's
   * stages run (a skipped stage, whose shuffle output exists already, is not run) and tasks.
   */
  record Step(
      double deserialize,
      double resultSerialization,
      double gettingResult,
      double gc,
      int stages,
      int tasks) {}

  private final Map<Integer, String> stageStep = new ConcurrentHashMap<>();
  private final Map<String, double[]> steps = new ConcurrentHashMap<>();

  @Override
  public void onStageSubmitted(SparkListenerStageSubmitted e) {
    String description =
        e.properties() == null ? null : e.properties().getProperty("spark.job.description");
    if (description != null && description.startsWith("d2o train step ")) {
      stageStep.put(e.stageInfo().stageId(), description);
      double[] s = steps.computeIfAbsent(description, k -> new double[6]);
      synchronized (s) {
        s[5]++;
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd e) {
    String step = stageStep.get(e.stageId());
    if (step == null || e.taskMetrics() == null) {
      return;
    }
    TaskInfo info = e.taskInfo();
    double getting =
        info.gettingResultTime() > 0 ? info.finishTime() - info.gettingResultTime() : 0;
    double[] s = steps.computeIfAbsent(step, k -> new double[6]);
    synchronized (s) {
      s[0] += e.taskMetrics().executorDeserializeTime() / 1e3;
      s[1] += e.taskMetrics().resultSerializationTime() / 1e3;
      s[2] += getting / 1e3;
      s[3] += e.taskMetrics().jvmGCTime() / 1e3;
      s[4]++;
    }
  }

  /**
   * Waits up to 30 s until the tasks of {@code count} steps have reported (at least {@code
   * tasksPerStep} each).
   */
  void awaitSteps(int count, int tasksPerStep) throws InterruptedException {
    long end = System.nanoTime() + 30_000_000_000L;
    while (System.nanoTime() < end
        && steps.values().stream().filter(s -> s[4] >= tasksPerStep).count() < count) {
      Thread.sleep(50);
    }
  }

  /** The timings of step {@code n} (1-based) of {@code total}, zeros when none arrived. */
  Step step(int n, int total) {
    double[] s = steps.getOrDefault("d2o train step " + n + "/" + total, new double[6]);
    return new Step(s[0], s[1], s[2], s[3], (int) s[5], (int) s[4]);
  }
}
