package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A smoke call of the throughput suite on a tiny model; the real numbers come from its main method.
 */
class GenerationBenchTest {
  @Test
  void suiteRunsAllFourModes() {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load("gpt2-f32-hub", manager)) {
      List<GenerationBench.Result> res = GenerationBench.suite(model, 4, 6, r -> {});
      assertEquals(4, res.size());
      for (GenerationBench.Result r : res) {
        assertTrue(r.tokensPerSecond() > 0 && Double.isFinite(r.tokensPerSecond()), r.toString());
      }
      assertEquals(16, res.get(3).batch());
    }
  }
}
