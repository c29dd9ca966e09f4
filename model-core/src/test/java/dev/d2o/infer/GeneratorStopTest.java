package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link Generator#withStopIds}: a chat template's end-of-turn token ends a sample as EOS does, and
 * changes nothing before it.
 */
class GeneratorStopTest {
  @Test
  void aStopIdEndsTheSampleThereAndChangesNothingBefore() {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load("qwen2-f32", manager)) {
      List<GenerationRequest> reqs = GeneratorReproducibilityTest.requests(4);
      SamplingConfig greedy = SamplingConfig.greedy(12);
      Generator plain = new Generator(model, null, 8, 1 << 14);
      List<GenerationResult> free = plain.generate(reqs, 1, greedy);
      int checked = 0;
      for (int i = 0; i < reqs.size(); i++) {
        int[] ids = free.get(i).samples().get(0).tokenIds();
        if (ids.length < 3) {
          continue;
        }
        int stop = ids[2]; // the token the greedy sample draws third
        int first = 0;
        while (ids[first] != stop) {
          first++;
        }
        GenerationResult.Sample s =
            plain
                .withStopIds(stop)
                .generate(List.of(reqs.get(i)), 1, greedy)
                .get(0)
                .samples()
                .get(0);
        assertArrayEquals(Arrays.copyOf(ids, first + 1), s.tokenIds());
        assertTrue(s.stoppedAtEos());
        assertTrue(
            Arrays.stream(plain.withStopIds(stop).eosIds()).anyMatch(e -> e == stop),
            "the stop id is one of the ids that end a sample");
        checked++;
      }
      assertEquals(reqs.size(), checked, "every greedy sample had three tokens to stop at");
    }
  }
}
