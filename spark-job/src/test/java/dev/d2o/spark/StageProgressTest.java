package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The progress line of the anchors and evaluate stages. */
class StageProgressTest {
  @Test
  void rowsRateAndTimeLeftThenTheTimeTaken() {
    assertEquals(
        "anchors 100/400 prompts (25%)  2.00 prompts/s  eta 2m30s",
        StageProgress.line("anchors", "prompts", 100, 400, 50, false));
    assertEquals(
        "evaluate 400/400 prompts (100%)  1.00 prompts/s  in 6m40s",
        StageProgress.line("evaluate", "prompts", 400, 400, 400, true));
    assertEquals(
        "anchors 9000/90000 prompts (10%)  1.00 prompts/s  eta 22h30m",
        StageProgress.line("anchors", "prompts", 9000, 90000, 9000, false));
  }
}
