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
  void suiteRunsEveryDecoderAndTheAnchorsGroup() {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load("gpt2-f32-hub", manager)) {
      List<GenerationBench.Result> res = GenerationBench.suite(model, 4, 6, r -> {});
      assertEquals(8, res.size());
      for (GenerationBench.Result r : res) {
        assertTrue(r.tokensPerSecond() > 0 && Double.isFinite(r.tokensPerSecond()), r.toString());
      }
      assertEquals(16, res.get(3).batch());
      assertEquals(GenerationBench.Decoder.BASELINE, res.get(4).decoder());
      GenerationBench.Result anchors = res.get(6);
      assertEquals(GenerationBench.ANCHOR_PROMPTS, anchors.batch());
      assertEquals(GenerationBench.ANCHOR_SAMPLES, anchors.samples());
      assertEquals(GenerationBench.Decoder.BASELINE, res.get(7).decoder());
    }
  }
}
