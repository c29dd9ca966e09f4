package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.d2o.model.ModelException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

class SamplingConfigTest {
  @Test
  void defaultsAreTheDocumentedOnes() {
    assertEquals(new SamplingConfig(1.0, 1.0, 0, 64, 0, 1.0, 0), SamplingConfig.defaults());
  }

  @Test
  void badValuesNameKeyAndValue() {
    SamplingConfig d = SamplingConfig.defaults();
    assertMessage(
        "temperature = -0.5 is invalid: must be a finite number ≥ 0 (0 = greedy)",
        () -> d.withTemperature(-0.5));
    assertMessage("temperature = NaN is invalid", () -> d.withTemperature(Double.NaN));
    assertMessage("top_p = 0.0 is invalid: must be in (0, 1] (1 = off)", () -> d.withTopPK(0, 0));
    assertMessage("top_p = 1.5 is invalid", () -> d.withTopPK(1.5, 0));
    assertMessage("top_k = -1 is invalid: must be ≥ 0 (0 = off)", () -> d.withTopPK(1, -1));
    assertMessage("max_new_tokens = 0 is invalid: must be ≥ 1", () -> d.withMaxNewTokens(0));
    assertMessage(
        "min_new_tokens = 65 is invalid: must be in [0, max_new_tokens = 64]",
        () -> d.withMinNewTokensAndPenalty(65, 1));
    assertMessage(
        "repetition_penalty = 0.0 is invalid: must be a finite number > 0 (1 = off)",
        () -> d.withMinNewTokensAndPenalty(0, 0));
  }

  private static void assertMessage(String prefix, Executable e) {
    ModelException ex = assertThrows(ModelException.class, e);
    if (!ex.getMessage().startsWith(prefix)) {
      assertEquals(prefix, ex.getMessage());
    }
  }
}
