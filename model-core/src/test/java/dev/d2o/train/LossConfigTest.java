package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class LossConfigTest {
  @Test
  void defaultsAreThePapers() {
    assertEquals(new LossConfig(LossType.D2O, 0.1, 0.1, 11), LossConfig.defaults());
  }

  @Test
  void errorsNameTheKeyAndTheValue() {
    assertEquals(
        "beta must be a finite number > 0, got 0.0",
        message(() -> LossConfig.of("d2o", 0, 0.1, 11)));
    assertEquals(
        "beta must be a finite number > 0, got NaN",
        message(() -> LossConfig.of("d2o", Double.NaN, 0.1, 11)));
    assertEquals(
        "alpha must be a finite number ≥ 0, got -0.5",
        message(() -> LossConfig.of("d2o", 0.1, -0.5, 11)));
    assertEquals(
        "k must be ≥ 1 (anchors per prompt), got 0",
        message(() -> LossConfig.of("d2o", 0.1, 0.1, 0)));
    assertEquals(
        "loss must be one of [d2o, d2o-instance, dpo, npo, ga], got 'd2o_instance'"
            + " (did you mean 'd2o-instance'?)",
        message(() -> LossConfig.of("d2o_instance", 0.1, 0.1, 11)));
  }

  @Test
  void alphaZeroIsAllowed() {
    assertEquals(0.0, LossConfig.of("d2o", 0.1, 0, 1).alpha());
  }

  private static String message(Runnable r) {
    return assertThrows(IllegalArgumentException.class, r::run).getMessage();
  }
}
