package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The generator as it is (one prompt pass per prompt, preallocated cache; the test models' 96-token
 * vocabulary is drawn in Java, {@link Generator.Mode#ENGINE_VOCAB}) against the decoder it replaced
 * ({@link Generator.Mode#BASELINE}: every sample prefilled alone, a growing cache, the Java
 * sampler) and against itself without the shared prefill and drawing on the engine, for every
 * family: identical greedy tokens, and identical samples (the same tokens, log-probs within 1e-4).
 * Three prompts of 3, 9 and 30 tokens × 3 samples share a sub-batch of 8 rows, so one prompt's rows
 * straddle two sub-batches; in a 64-position context the 30-token prompt stops at 34 tokens, so the
 * batch also compacts mid-decode.
 */
class GeneratorSharedPrefillTest {
  @ParameterizedTest
  @ValueSource(
      strings = {
        "gpt2-f32-hub",
        "llama-f32",
        "qwen2-f32",
        "mistral-f16",
        "mistral-window6",
        "qwen3-f32",
        "gemma2-f32",
        "gemma2-bf16"
      })
  void greedyIsIdenticalWithAndWithoutSharedPrefill(String name) {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load(name, manager)) {
      List<GenerationRequest> reqs = GeneratorCacheTest.prompts(model, 7);
      SamplingConfig greedy = SamplingConfig.greedy(40);
      Generator g = new Generator(model, null, 8, Generator.TOKEN_BUDGET_DEFAULT);
      List<GenerationResult> shared = g.generate(reqs, 3, greedy);
      List<GenerationResult> alone = g.withMode(unshared()).generate(reqs, 3, greedy);
      List<GenerationResult> baseline =
          g.withMode(Generator.Mode.BASELINE).generate(reqs, 3, greedy);
      for (int i = 0; i < reqs.size(); i++) {
        for (int j = 0; j < 3; j++) {
          int[] tokens = shared.get(i).samples().get(j).tokenIds();
          String at = name + " request " + i + " sample " + j;
          assertArrayEquals(alone.get(i).samples().get(j).tokenIds(), tokens, at);
          assertArrayEquals(baseline.get(i).samples().get(j).tokenIds(), tokens, at);
          assertArrayEquals(
              shared.get(i).samples().get(0).tokenIds(), tokens, "greedy: one answer");
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-f32-hub", "llama-f32", "qwen3-f32", "gemma2-f32"})
  void samplesAreIdenticalWithAndWithoutSharedPrefill(String name) {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load(name, manager)) {
      List<GenerationRequest> reqs = GeneratorCacheTest.prompts(model, 9);
      // every transform on: penalty, EOS ban, temperature, top-k, top-p
      SamplingConfig cfg = new SamplingConfig(0.9, 0.95, 40, 20, 2, 1.1, 23);
      Generator g = new Generator(model, null, 8, Generator.TOKEN_BUDGET_DEFAULT);
      List<GenerationResult> shared = g.generate(reqs, 3, cfg);
      List<GenerationResult> alone = g.withMode(unshared()).generate(reqs, 3, cfg);
      List<GenerationResult> baseline = g.withMode(Generator.Mode.BASELINE).generate(reqs, 3, cfg);
      Set<String> distinct = new HashSet<>();
      for (int i = 0; i < reqs.size(); i++) {
        for (int j = 0; j < 3; j++) {
          GenerationResult.Sample s = shared.get(i).samples().get(j);
          String at = name + " request " + i + " sample " + j;
          for (List<GenerationResult> other : List.of(alone, baseline)) {
            GenerationResult.Sample o = other.get(i).samples().get(j);
            assertArrayEquals(o.tokenIds(), s.tokenIds(), at);
            assertEquals(o.logp(), s.logp(), 1e-4, at);
          }
          distinct.add(i + ":" + java.util.Arrays.toString(s.tokenIds()));
        }
      }
      assertEquals(9, distinct.size(), "the samples of a prompt differ: " + distinct);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama-f32"})
  void eachSubBatchReadsEachOfItsPromptsOnce(String name) {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = GeneratorCacheTest.load(name, manager)) {
      List<GenerationRequest> reqs = GeneratorCacheTest.prompts(model, 5);
      SamplingConfig cfg = SamplingConfig.defaults().withMaxNewTokens(6).withSeed(3);
      List<String> passes = new ArrayList<>();
      BatchDecoder.StepObserver o =
          new BatchDecoder.StepObserver() {
            @Override
            public void onPromptPass(int prompts, int rows) {
              passes.add(prompts + "/" + rows);
            }

            @Override
            public void onLogits(
                int step, List<SampleRow> rows, ai.djl.ndarray.NDArray l, NDManager call) {}
          };
      // 11 samples of prompts of 30, 9 and 3 tokens in sub-batches of 8 rows: the 30-token
      // prompt's rows fill one sub-batch and share the next with 5 rows of the 9-token prompt, ...
      List<GenerationResult> split =
          new Generator(model, null, 8, Generator.TOKEN_BUDGET_DEFAULT)
              .observe(o)
              .generate(reqs, 11, cfg);
      assertEquals(List.of("1/8", "2/8", "2/8", "1/8", "1/1"), passes);
      passes.clear();
      List<GenerationResult> together =
          new Generator(model, null, 33, Generator.TOKEN_BUDGET_DEFAULT)
              .observe(o)
              .generate(reqs, 11, cfg);
      assertEquals(List.of("3/33"), passes);
      passes.clear();
      g(model).withMode(unshared()).observe(o).generate(reqs, 11, cfg);
      assertEquals(List.of("33/33"), passes, "without the shared prefill, one pass row per sample");
      for (int i = 0; i < reqs.size(); i++) {
        for (int j = 0; j < 11; j++) {
          assertArrayEquals(
              together.get(i).samples().get(j).tokenIds(),
              split.get(i).samples().get(j).tokenIds());
        }
      }
    }
  }

  private static Generator g(CausalLM model) {
    return new Generator(model, null, 33, Generator.TOKEN_BUDGET_DEFAULT);
  }

  private static Generator.Mode unshared() {
    return new Generator.Mode(true, true, false, 0); // on the engine whatever the vocabulary
  }
}
