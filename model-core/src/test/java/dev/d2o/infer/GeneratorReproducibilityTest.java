package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Sample j of example id depends only on (seed, id, j, weights): the same examples generated alone,
 * in other groupings, orders, batch sizes and token budgets give token-identical samples, with the
 * Java sampler (the test models' 96-token vocabulary, by default) and with the engine's.
 */
class GeneratorReproducibilityTest {
  static final SamplingConfig CFG = new SamplingConfig(0.9, 0.95, 40, 16, 2, 1.1, 17);

  @ParameterizedTest(name = "{0}, sampled on the engine: {1}")
  @CsvSource({"gpt2-f32-hub, false", "gpt2-f32-hub, true", "qwen2-f32, false", "qwen2-f32, true"})
  void samplesDoNotDependOnBatching(String name, boolean onEngine) {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load(name, manager)) {
      List<GenerationRequest> reqs = requests(6);
      Generator.Mode mode =
          onEngine ? new Generator.Mode(true, true, true, 0) : Generator.Mode.DEFAULT;
      Map<String, GenerationResult> reference =
          byId(new Generator(model, null, 16, 1 << 14).withMode(mode).generate(reqs, 3, CFG));
      // one at a time, batch size 1
      Generator one = new Generator(model, null, 1, 1 << 14).withMode(mode);
      for (GenerationRequest r : reqs) {
        assertSame(reference, byId(one.generate(List.of(r), 3, CFG)));
      }
      // reversed order, two groups, batch size 4
      List<GenerationRequest> rev = new ArrayList<>(reqs);
      Collections.reverse(rev);
      Generator four = new Generator(model, null, 4, 1 << 14).withMode(mode);
      assertSame(reference, byId(four.generate(rev.subList(0, 2), 3, CFG)));
      assertSame(reference, byId(four.generate(rev.subList(2, 6), 3, CFG)));
      // a token budget of 2 rows × (longest prompt + 16) splits the batch-16 request
      Generator budget = new Generator(model, null, 16, 2 * (20 + 16)).withMode(mode);
      assertSame(reference, byId(budget.generate(reqs, 3, CFG)));
      // more samples: the first three are unchanged
      Map<String, GenerationResult> five = byId(four.generate(reqs, 5, CFG));
      for (GenerationRequest r : reqs) {
        for (int j = 0; j < 3; j++) {
          assertArrayEquals(
              reference.get(r.id()).samples().get(j).tokenIds(),
              five.get(r.id()).samples().get(j).tokenIds());
        }
      }
      assertVaried(reference, model.config().vocabSize());
      Map<String, GenerationResult> otherSeed = byId(four.generate(reqs, 3, CFG.withSeed(18)));
      assertNotEquals(ids(reference), ids(otherSeed), "another seed gives other samples");
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-f32-hub"})
  void badRequestsNameTheExample(String name) {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load(name, manager)) {
      Generator g = new Generator(model, null, 4, 1 << 14);
      ModelException e =
          assertThrows(
              ModelException.class,
              () -> g.generate(List.of(new GenerationRequest("q1", new int[0])), 1, CFG));
      assertEquals(
          "id q1: empty prompt (no tokens): generation needs at least one prompt token; give a prompt or a"
              + " BOS token",
          e.getMessage());
      e =
          assertThrows(
              ModelException.class,
              () -> g.generate(List.of(new GenerationRequest("q2", new int[] {4, 96})), 1, CFG));
      assertEquals(
          "row id q2: prompt token id 96 at index 1 is outside the model's vocabulary [0, 96)",
          e.getMessage());
      e =
          assertThrows(
              ModelException.class,
              () -> g.generate(List.of(new GenerationRequest("q3", new int[64])), 1, CFG));
      assertEquals(
          "id q3: prompt of 64 tokens leaves no room in the model's context of 64 positions",
          e.getMessage());
      e = assertThrows(ModelException.class, () -> g.generate(requests(1), 0, CFG));
      assertEquals("num_samples = 0 is invalid: must be ≥ 1", e.getMessage());
    }
  }

  private static void assertSame(
      Map<String, GenerationResult> reference, Map<String, GenerationResult> got) {
    for (GenerationResult r : got.values()) {
      GenerationResult ref = reference.get(r.id());
      assertEquals(ref.samples().size(), r.samples().size());
      for (int j = 0; j < r.samples().size(); j++) {
        assertArrayEquals(
            ref.samples().get(j).tokenIds(),
            r.samples().get(j).tokenIds(),
            r.id() + " sample " + j);
        assertEquals(ref.samples().get(j).logp(), r.samples().get(j).logp(), 1e-4);
      }
    }
  }

  /** Samples of one prompt differ from each other, and min_new_tokens = 2 holds. */
  private static void assertVaried(Map<String, GenerationResult> res, int vocab) {
    for (GenerationResult r : res.values()) {
      List<String> distinct = new ArrayList<>();
      for (GenerationResult.Sample s : r.samples()) {
        assertTrue(s.tokenIds().length >= 2, "min_new_tokens");
        distinct.add(java.util.Arrays.toString(s.tokenIds()));
      }
      assertEquals(3, distinct.stream().distinct().count(), r.id() + ": " + distinct);
    }
  }

  private static List<String> ids(Map<String, GenerationResult> m) {
    List<String> out = new ArrayList<>();
    m.values()
        .forEach(r -> r.samples().forEach(s -> out.add(java.util.Arrays.toString(s.tokenIds()))));
    return out;
  }

  static List<GenerationRequest> requests(int n) {
    Random rnd = new Random(3);
    List<GenerationRequest> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[] p = new int[1 + rnd.nextInt(20)];
      for (int j = 0; j < p.length; j++) {
        p[j] = 3 + rnd.nextInt(90);
      }
      out.add(new GenerationRequest("example-" + i, p));
    }
    return out;
  }

  private static Map<String, GenerationResult> byId(List<GenerationResult> res) {
    Map<String, GenerationResult> m = new HashMap<>();
    res.forEach(r -> m.put(r.id(), r));
    return m;
  }
}
