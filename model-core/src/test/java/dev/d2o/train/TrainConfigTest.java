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
    assertEquals(5e-7, c.get(TrainConfig.LEARNING_RATE));
    assertEquals(16, c.get(TrainConfig.BATCH_SIZE));
    assertEquals(new LossConfig(LossType.D2O_INSTANCE, 0.1, 0.1, 11), c.loss());
    assertEquals(c, TrainConfig.fromJson(c.toJson()));
  }

  @Test
  void errorsNameTheKeyTheValueAndWhatIsAllowed() {
    assertEquals("learningRate must be a number > 0, got -1", message(Map.of("learningRate", -1)));
    assertEquals("batchSize must be an integer ≥ 1, got '2.5'", message(Map.of("batchSize", 2.5)));
    assertEquals(
        "schedule must be one of [cosine, linear, constant], got cosin",
        message(Map.of("schedule", "cosin")));
    assertEquals(
        "unknown training option 'warmupStep' (did you mean 'warmupSteps'?)",
        message(Map.of("warmupStep", 10)));
    assertEquals("k must be an integer ≥ 1, got 0", message(Map.of("k", 0)));
    assertEquals(
        "adamBeta2 must be a number in [0.0, 1.0), got 1", message(Map.of("adamBeta2", 1)));
  }

  @Test
  void hashAndDifferencesCoverOnlyTrajectoryOptions() {
    TrainConfig a = TrainConfig.defaults();
    assertEquals(
        a.hash(), a.with(TrainConfig.KEEP_CHECKPOINTS, 9).with(TrainConfig.CHUNK_SIZE, 1).hash());
    assertNotEquals(a.hash(), a.with(TrainConfig.ALPHA, 0.2).hash());
    assertEquals(
        List.of("alpha: 0.1 → 0.2", "seed: 42 → 7"),
        a.differences(
            a.with(TrainConfig.ALPHA, 0.2)
                .with(TrainConfig.SEED, 7L)
                .with(TrainConfig.MICRO_BATCHES, 2)));
  }

  private static String message(Map<String, ?> overrides) {
    return assertThrows(IllegalArgumentException.class, () -> TrainConfig.of(overrides))
        .getMessage();
  }
}
