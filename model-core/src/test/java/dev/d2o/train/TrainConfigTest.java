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
    TrainConfig c = TrainConfig.of(Map.of("lr", "5e-7", "loss", "d2o-instance", "batch.size", "16"));
    assertEquals(5e-7, c.dbl("lr"));
    assertEquals(16, c.integer("batch.size"));
    assertEquals(new LossConfig(LossType.D2O_INSTANCE, 0.1, 0.1, 11), c.loss());
    assertEquals(c, TrainConfig.fromJson(c.toJson()));
  }

  @Test
  void errorsNameTheKeyTheValueAndWhatIsAllowed() {
    assertEquals("lr must be > 0, got -1", message(Map.of("lr", -1)));
    assertEquals("batch.size must be an integer ≥ 1, got '2.5'", message(Map.of("batch.size", 2.5)));
    assertEquals("lr.schedule must be one of [cosine, linear, constant], got cosin",
        message(Map.of("lr.schedule", "cosin")));
    assertEquals("unknown training option 'lr.warmup' (did you mean 'lr.warmup_steps'?)",
        message(Map.of("lr.warmup", 10)));
    assertEquals("loss.k must be ≥ 1, got 0", message(Map.of("loss.k", 0)));
    assertEquals("optim.beta2 must be in [0, 1), got 1", message(Map.of("optim.beta2", 1)));
  }

  @Test
  void hashAndDifferencesCoverOnlyTrajectoryOptions() {
    TrainConfig a = TrainConfig.defaults();
    assertEquals(a.hash(), a.with("checkpoint.keep", 9).with(TrainConfig.KEY_CHUNK, 1).hash());
    assertNotEquals(a.hash(), a.with("loss.alpha", 0.2).hash());
    assertEquals(List.of("loss.alpha: 0.1 → 0.2", "seed: 42 → 7"),
        a.differences(a.with("loss.alpha", 0.2).with("seed", 7).with("batch.micro_batches", 2)));
  }

  private static String message(Map<String, ?> overrides) {
    return assertThrows(IllegalArgumentException.class, () -> TrainConfig.of(overrides)).getMessage();
  }
}
