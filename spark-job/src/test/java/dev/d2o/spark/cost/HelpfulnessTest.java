package dev.d2o.spark.cost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.d2o.infer.ScoreResult;
import java.util.List;
import org.junit.jupiter.api.Test;

class HelpfulnessTest {
  @Test
  void isTokenWeightedNotAMeanOfMeans() {
    // (-1 + -12) / (1 + 3) = -3.25, whereas the mean of per-response means would be (-1 + -4) / 2 =
    // -2.5
    List<ScoreResult> s =
        List.of(
            new ScoreResult(-1, 1, new float[] {-1}),
            new ScoreResult(-12, 3, new float[] {-4, -4, -4}));
    assertEquals(-3.25, Helpfulness.meanTokenLogp(s), 1e-12);
  }

  @Test
  void emptySetIsAnError() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Helpfulness.meanTokenLogp(List.of()));
    assertEquals("helpfulness of an empty set: no response tokens were scored", e.getMessage());
  }
}
