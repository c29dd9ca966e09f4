package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainConfigTest {
  @Test
  void defaultsAndParsedStrings() {
    TrainConfig c =
        TrainConfig.of(Map.of("learningRate", "5e-7", "loss", "d2o-instance", "batchSize", "16"));
    assertEquals(5e-7, c.dbl("learningRate"));
    assertEquals(16, c.integer("batchSize"));
    assertEquals(new LossConfig(LossType.D2O_INSTANCE, 0.1, 0.1, 11), c.loss());
    assertEquals(c, TrainConfig.fromJson(c.toJson()));
  }

  @Test
  void errorsNameTheKeyTheValueAndWhatIsAllowed() {
    assertEquals("learningRate must be > 0, got -1", message(Map.of("learningRate", -1)));
    assertEquals("batchSize must be an integer ≥ 1, got '2.5'", message(Map.of("batchSize", 2.5)));
    assertEquals(
        "schedule must be one of [cosine, linear, constant], got cosin",
        message(Map.of("schedule", "cosin")));
    assertEquals(
        "unknown training option 'warmupStep' (did you mean 'warmupSteps'?)",
        message(Map.of("warmupStep", 10)));
    assertEquals("k must be ≥ 1, got 0", message(Map.of("k", 0)));
    assertEquals("adamBeta2 must be in [0, 1), got 1", message(Map.of("adamBeta2", 1)));
  }

  @Test
  void hashAndDifferencesCoverOnlyTrajectoryOptions() {
    TrainConfig a = TrainConfig.defaults();
    assertEquals(a.hash(), a.with("keepCheckpoints", 9).with(TrainConfig.KEY_CHUNK, 1).hash());
    assertNotEquals(a.hash(), a.with("alpha", 0.2).hash());
    assertEquals(
        List.of("alpha: 0.1 → 0.2", "seed: 42 → 7"),
        a.differences(a.with("alpha", 0.2).with("seed", 7).with("microBatches", 2)));
  }

  private static String message(Map<String, ?> overrides) {
    return assertThrows(IllegalArgumentException.class, () -> TrainConfig.of(overrides))
        .getMessage();
  }
}
