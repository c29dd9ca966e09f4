package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.model.Pretrained;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Log-probs against an independent PyTorch implementation (float64) of the same architectures on random-weight
 * checkpoints: tools/golden/make_golden.py wrote the checkpoints and golden.json under src/test/resources/golden.
 */
class GoldenLogprobTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @ParameterizedTest
  @ValueSource(strings = {"gpt2-f32-hub", "gpt2-bf16-saved", "llama-f32", "llama-bf16", "qwen2-f32", "mistral-f16"})
  void matchesPyTorchReference(String name) throws Exception {
    Path dir = Path.of("src/test/resources/golden", name);
    JsonNode golden = JSON.readTree(dir.resolve("golden.json").toFile());
    try (NDManager manager = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(dir, manager)) {
      List<ScoreRequest> reqs = new ArrayList<>();
      for (JsonNode s : golden.get("sequences")) {
        reqs.add(new ScoreRequest("seq" + reqs.size(), ints(s.get("prompt_ids")), ints(s.get("response_ids"))));
      }
      // all sequences in one padded batch: padding and batch composition must not matter
      List<ScoreResult> got = new SequenceScorer(p.model(), 8, LengthPolicy.FAIL).score(reqs);
      for (int i = 0; i < reqs.size(); i++) {
        JsonNode s = golden.get("sequences").get(i);
        assertEquals(s.get("logp").asDouble(), got.get(i).logp(), 1e-3, name + " sequence " + i);
        assertEquals(s.get("token_logps").size(), got.get(i).tokens());
        for (int j = 0; j < got.get(i).tokens(); j++) {
          assertEquals(s.get("token_logps").get(j).asDouble(), got.get(i).tokenLogps()[j], 1e-4,
              name + " sequence " + i + " token " + j);
        }
      }
      JsonNode check = golden.get("logits_check");
      int[] ids = ints(check.get("ids"));
      try (NDManager m = manager.newSubManager()) {
        float[] logits = lastLogits(p, m, ids);
        for (int v = 0; v < logits.length; v++) {
          assertEquals(check.get("last_logits").get(v).asDouble(), logits[v], 1e-3, name + " logit " + v);
        }
      }
    }
  }

  static float[] lastLogits(Pretrained p, NDManager m, int[] ids) {
    long[] l = new long[ids.length];
    long[] pos = new long[ids.length];
    boolean[][] valid = new boolean[1][ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
      pos[i] = i;
      valid[0][i] = true;
    }
    NDArray idArr = m.create(l, new ai.djl.ndarray.types.Shape(1, ids.length));
    NDArray posArr = m.create(pos, new ai.djl.ndarray.types.Shape(1, ids.length));
    NDArray h = p.model().hidden(idArr, posArr, dev.d2o.model.AttentionMask.of(m, valid, ids.length, 0), null);
    return p.model().logits(h).get("0, -1, :").toFloatArray();
  }

  static int[] ints(JsonNode arr) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asInt();
    }
    return out;
  }
}
