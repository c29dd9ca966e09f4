package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The job's time beyond its slowest task, from the driver's and the tasks' own timers. */
class StepOverheadsTest {
  @Test
  void theSlowestTaskIsSubtractedFromTheJob() {
    StepOverheads o =
        StepOverheads.of(
            5.0,
            0.25,
            List.of(
                new StepOverheads.Task(0.5, 3.0, 0.25), // 3.75 in all: the slowest
                new StepOverheads.Task(0.0, 3.5, 0.125)));
    assertEquals(0.5, o.replicaSync());
    assertEquals(3.0, o.compute());
    assertEquals(0.25, o.transport());
    assertEquals(1.25, o.jobOverhead(), 1e-12);
    assertEquals(1.25, o.metrics().get("timing/job_overhead"), 1e-12);
    assertEquals(0.25, o.metrics().get("timing/result_merge"));
    assertEquals(5.0, o.metrics().get("timing/job"));
  }

  @Test
  void aJobWithoutTasksIsAllOverheadAndClocksNeverGiveANegativeOne() {
    assertEquals(0.5, StepOverheads.of(0.5, 0, List.of()).jobOverhead());
    // a task's clock may read a little more than the driver's wall time around the job
    assertEquals(
        0.0, StepOverheads.of(1.0, 0, List.of(new StepOverheads.Task(0, 1.5, 0))).jobOverhead());
  }

  @Test
  void overlapIsTheIntersectionOfTheTasksComputeIntervals() {
    StepOverheads.Task a = new StepOverheads.Task(0, 1, 0, 1_000_000_000L, 3_000_000_000L);
    StepOverheads.Task b = new StepOverheads.Task(0, 1, 0, 2_500_000_000L, 4_000_000_000L);
    StepOverheads.Task after = new StepOverheads.Task(0, 1, 0, 3_000_000_000L, 4_000_000_000L);
    assertEquals(0.5, StepOverheads.of(5, 0, List.of(a, b)).metrics().get("timing/task_overlap"));
    assertEquals(0.0, StepOverheads.overlap(List.of(a, after)), "turns: touching, not overlapping");
    assertEquals(0.0, StepOverheads.overlap(List.of(a)), "one task");
  }
}
