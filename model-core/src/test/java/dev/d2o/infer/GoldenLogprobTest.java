package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.model.Pretrained;
import dev.d2o.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Log-probs and greedy generation against an independent PyTorch implementation (float64) of the
 * same architectures on random-weight checkpoints: tools/golden/make_golden.py wrote the
 * checkpoints, golden.json and greedy.json under src/test/resources/golden.
 */
class GoldenLogprobTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Every golden case (tools/golden/README.md). */
  static final List<String> CASES =
      List.of(
          "gpt2-f32-hub",
          "gpt2-bf16-saved",
          "llama-f32",
          "llama-bf16",
          "qwen2-f32",
          "mistral-f16",
          "qwen3-f32",
          "qwen3-bf16",
          "gemma2-f32",
          "gemma2-bf16");

  static List<String> cases() {
    return CASES;
  }

  @ParameterizedTest
  @MethodSource("cases")
  void matchesPyTorchReference(String name) throws Exception {
    Path dir = Path.of("src/test/resources/golden", name);
    JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
    try (NDManager manager = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(dir, manager)) {
      List<ScoreRequest> reqs = new ArrayList<>();
      for (JsonNode s : golden.get("sequences")) {
        reqs.add(
            new ScoreRequest(
                "seq" + reqs.size(), ints(s.get("prompt_ids")), ints(s.get("response_ids"))));
      }
      // all sequences in one padded batch: padding and batch composition must not matter
      List<ScoreResult> got = new SequenceScorer(p.model(), 8, LengthPolicy.FAIL).score(reqs);
      double maxDiff = 0;
      for (int i = 0; i < reqs.size(); i++) {
        JsonNode s = golden.get("sequences").get(i);
        maxDiff = Math.max(maxDiff, Math.abs(s.get("logp").asDouble() - got.get(i).logp()));
        assertEquals(s.get("logp").asDouble(), got.get(i).logp(), 1e-3, name + " sequence " + i);
        assertEquals(s.get("token_logps").size(), got.get(i).tokens());
        for (int j = 0; j < got.get(i).tokens(); j++) {
          assertEquals(
              s.get("token_logps").get(j).asDouble(),
              got.get(i).tokenLogps()[j],
              1e-4,
              name + " sequence " + i + " token " + j);
        }
      }
      System.out.printf(
          "golden %s: max |delta logp| = %.2e over %d sequences%n", name, maxDiff, reqs.size());
      JsonNode check = golden.get("logits_check");
      int[] ids = ints(check.get("ids"));
      try (NDManager m = manager.newSubManager()) {
        float[] logits = lastLogits(p, m, ids);
        for (int v = 0; v < logits.length; v++) {
          assertEquals(
              check.get("last_logits").get(v).asDouble(), logits[v], 1e-3, name + " logit " + v);
        }
      }
    }
  }

  /**
   * The reference's greedy continuations of a few prompts of different lengths, decoded here in one
   * left-padded batch with the key/value cache: identical tokens. The reference kept only prompts
   * whose two best logits stay at least 1e-3 apart at every step, so fp32 rounding cannot flip an
   * argmax.
   */
  @ParameterizedTest
  @MethodSource("cases")
  void greedyGenerationMatchesPyTorchReference(String name) throws Exception {
    Path dir = Path.of("src/test/resources/golden", name);
    JsonNode greedy = JSON.readTree(dir.resolve("greedy.json").toFile());
    try (NDManager manager = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(dir, manager)) {
      List<GenerationRequest> reqs = new ArrayList<>();
      for (JsonNode prompt : greedy.get("prompts")) {
        reqs.add(new GenerationRequest("p" + reqs.size(), ints(prompt.get("prompt_ids"))));
      }
      SamplingConfig cfg = SamplingConfig.greedy(greedy.get("max_new_tokens").asInt());
      List<GenerationResult> got =
          new Generator(p.model(), null, 8, Generator.TOKEN_BUDGET_DEFAULT).generate(reqs, 1, cfg);
      for (int i = 0; i < reqs.size(); i++) {
        assertArrayEquals(
            ints(greedy.get("prompts").get(i).get("tokens")),
            got.get(i).samples().get(0).tokenIds(),
            name + " prompt " + i);
      }
    }
  }

  static float[] lastLogits(Pretrained p, NDManager m, int[] ids) {
    return TinyModels.lastLogits(p.model(), m, ids);
  }

  static int[] ints(JsonNode arr) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asInt();
    }
    return out;
  }
}
