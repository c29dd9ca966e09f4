package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.Pretrained;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Decoding with the key/value cache against recomputing the whole left-padded sequence at every
 * step, for every architecture; and the sampled log-probs against {@link SequenceScorer}, which
 * GoldenLogprobTest checks against PyTorch. Prompts of 3, 9 and 30 tokens share one batch, and in a
 * 64-position context the longest row is cut at 34 tokens, so the batch also shrinks mid-decode.
 * The sliding windows of mistral-window6 (6 tokens, every layer), qwen3-f32 (8, layer 1) and
 * gemma2-f32/-bf16 (6 on layers 0 and 2; 8 on layer 1) are shorter than those sequences, so each
 * layer's own window is exercised with the cache and left padding.
 */
class GeneratorCacheTest {
  static final int[] PROMPT_LENGTHS = {3, 9, 30};

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
  void cachedStepsMatchFullRecompute(String name) {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = load(name, manager)) {
      List<GenerationRequest> reqs = prompts(model, 7);
      SamplingConfig greedy = SamplingConfig.greedy(40);
      Map<String, float[]> cached = new HashMap<>();
      Map<String, float[]> full = new HashMap<>();
      Generator g = new Generator(model, null, 8, Generator.TOKEN_BUDGET_DEFAULT);
      List<GenerationResult> a = g.observe(recorder(cached, model)).generate(reqs, 1, greedy);
      List<GenerationResult> b =
          g.withoutCache().observe(recorder(full, model)).generate(reqs, 1, greedy);
      for (int i = 0; i < reqs.size(); i++) {
        assertArrayEquals(
            b.get(i).samples().get(0).tokenIds(),
            a.get(i).samples().get(0).tokenIds(),
            name + " request " + i);
      }
      assertEquals(full.keySet(), cached.keySet());
      for (int i = 0; i < reqs.size(); i++) {
        GenerationResult.Sample s = a.get(i).samples().get(0);
        // the 30-token prompt is cut at 34
        int limit = Math.min(40, 64 - reqs.get(i).promptIds().length);
        assertTrue(
            s.stoppedAtEos() || s.tokenIds().length == limit,
            name + " request " + i + " stopped early");
      }
      double worst = 0;
      for (Map.Entry<String, float[]> e : full.entrySet()) {
        float[] c = cached.get(e.getKey());
        for (int v = 0; v < c.length; v++) {
          worst = Math.max(worst, Math.abs(c[v] - e.getValue()[v]));
        }
      }
      assertTrue(worst <= 1e-4, name + ": max |cached − recomputed| logit = " + worst);
    }
  }

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
  void sampledLogpEqualsScoredLogp(String name) {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = load(name, manager)) {
      List<GenerationRequest> reqs = prompts(model, 11);
      // temperature 1 without truncation: the sampling distribution is the model's own
      SamplingConfig cfg = SamplingConfig.defaults().withMaxNewTokens(12).withSeed(5);
      List<GenerationResult> res =
          new Generator(model, null, 4, Generator.TOKEN_BUDGET_DEFAULT).generate(reqs, 2, cfg);
      List<ScoreRequest> score = new ArrayList<>();
      List<Double> sampled = new ArrayList<>();
      for (int i = 0; i < reqs.size(); i++) {
        for (GenerationResult.Sample s : res.get(i).samples()) {
          score.add(new ScoreRequest("r" + i, reqs.get(i).promptIds(), s.tokenIds()));
          sampled.add(s.logp());
        }
      }
      List<ScoreResult> scored = new SequenceScorer(model, 8, LengthPolicy.FAIL).score(score);
      for (int i = 0; i < scored.size(); i++) {
        assertEquals(scored.get(i).logp(), sampled.get(i), 1e-3, name + " sample " + i);
        assertTrue(sampled.get(i) < 0, "a sampled sequence has probability below 1");
      }
    }
  }

  @Test
  void stepMemoryDoesNotGrow() {
    try (NDManager manager = NDManager.newBaseManager();
        CausalLM model = load("llama-f32", manager)) {
      List<Integer> live = new ArrayList<>();
      BatchDecoder.StepObserver count =
          (step, rows, logits, call) -> live.add(call.getManagedArrays().size());
      new Generator(model, null, 4, 1 << 14)
          .observe(count)
          .generate(
              List.of(new GenerationRequest("m", new int[] {5, 6, 7})),
              2,
              SamplingConfig.greedy(20));
      assertEquals(20, live.size());
      for (int s = 1; s < live.size(); s++) {
        assertEquals(live.get(0), live.get(s), "arrays alive at step " + s + " vs step 0: " + live);
      }
    }
  }

  static BatchDecoder.StepObserver recorder(Map<String, float[]> into, CausalLM model) {
    int v = model.config().vocabSize();
    return (step, rows, logits, call) -> {
      for (int i = 0; i < rows.size(); i++) {
        into.put(rows.get(i).request + "/" + step, Arrays.copyOfRange(logits, i * v, (i + 1) * v));
      }
    };
  }

  /** Prompts of {@link #PROMPT_LENGTHS} tokens, avoiding the special ids 0–2 and 95. */
  static List<GenerationRequest> prompts(CausalLM model, long seed) {
    Random rnd = new Random(seed);
    List<GenerationRequest> out = new ArrayList<>();
    for (int len : PROMPT_LENGTHS) {
      int[] p = new int[len];
      for (int j = 0; j < len; j++) {
        p[j] = 3 + rnd.nextInt(90);
      }
      out.add(new GenerationRequest("ex" + out.size(), p));
    }
    return out;
  }

  /**
   * A golden checkpoint, or "mistral-window6": a random Mistral whose 6-token sliding window
   * matters here.
   */
  static CausalLM load(String name, NDManager manager) {
    if (name.equals("mistral-window6")) {
      ObjectNode n = new ObjectMapper().createObjectNode();
      n.put("model_type", "mistral")
          .put("vocab_size", 96)
          .put("hidden_size", 32)
          .put("num_hidden_layers", 2)
          .put("num_attention_heads", 4)
          .put("num_key_value_heads", 2)
          .put("intermediate_size", 64)
          .put("max_position_embeddings", 64)
          .put("sliding_window", 6)
          .put("eos_token_id", 2);
      return CausalLM.random(ModelConfig.fromJson(n, "mistral-window6"), 3, manager);
    }
    Pretrained p = Pretrained.load(Path.of("src/test/resources/golden", name), manager);
    return p.model();
  }
}
