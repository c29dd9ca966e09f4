package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The driver's step on infinite values (LocalTrainerTest covers NaN through a whole model). */
class TrainerStateTest {
  private static GradientSums sums(float loss, float... gradient) {
    GradientSums s = GradientSums.zero();
    float[] one = {0f};
    s.addChunk(-1, new float[][] {gradient}, new float[] {loss}, one, one, one, one, one, 3);
    return s;
  }

  @Test
  void infiniteLossOrGradientIsSkippedWithItsReasonAndStopsTheRunAfterTheLimit() {
    TrainerState state =
        new TrainerState(
            List.of("w"), new float[][] {{1f, 2f}}, Tiny.config("maxConsecutiveSkips", 3));
    StepResult a = state.apply(sums(Float.POSITIVE_INFINITY, 0.1f, 0.1f), 1);
    assertEquals("non-finite loss Infinity", a.reason());
    StepResult b = state.apply(sums(0.5f, Float.NEGATIVE_INFINITY, 0.1f), 1);
    assertEquals("non-finite gradient (norm Infinity)", b.reason());
    assertEquals(2.0, b.metric("skipped_steps"));
    assertArrayEquals(
        new float[] {1f, 2f}, state.weights()[0], "skipped steps leave the weights as they were");
    TrainStoppedException e =
        assertThrows(
            TrainStoppedException.class, () -> state.apply(sums(0.5f, Float.NaN, 0.1f), 1));
    assertTrue(
        e.getMessage()
            .startsWith(
                "training stopped at step 2: 3 consecutive steps had a non-finite loss or"
                    + " gradient (last: non-finite gradient (norm NaN); limit maxConsecutiveSkips = 3)"),
        e.getMessage());
    assertEquals(
        2, e.last().step(), "the stopping step's result travels with the error, to be recorded");
    assertEquals(3.0, e.last().metric("skipped_steps"));
  }
}
