package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelConfig;
import dev.d2o.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties every architecture must have: causality and independence from padding and batch
 * composition.
 */
class ModelInvariantsTest {
  static Stream<ModelConfig> families() {
    return TinyModels.all().stream();
  }

  @ParameterizedTest
  @MethodSource("families")
  void changingALaterTokenLeavesEarlierLogprobsUnchanged(ModelConfig config) {
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = scaled(CausalLM.random(config, 7, m))) {
      int[] prompt = {3, 14, 15};
      int[] response = {92, 65, 35, 89, 79, 32};
      int[] changed = response.clone();
      changed[4] = 200;
      SequenceScorer scorer = new SequenceScorer(model, 4, LengthPolicy.FAIL);
      List<ScoreResult> r =
          scorer.score(
              List.of(
                  new ScoreRequest("a", prompt, response), new ScoreRequest("b", prompt, changed)));
      float[] a = r.get(0).tokenLogps();
      float[] b = r.get(1).tokenLogps();
      for (int j = 0; j < 4; j++) {
        assertEquals(a[j], b[j], 1e-6, "token " + j + " precedes the change");
      }
      assertNotEquals(a[4], b[4], "the changed token's own log-prob changes");
      assertNotEquals(a[5], b[5], 1e-6, "a token after the change sees it");
    }
  }

  @ParameterizedTest
  @MethodSource("families")
  void logprobDoesNotDependOnBatchOrPadding(ModelConfig config) {
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = scaled(CausalLM.random(config, 11, m))) {
      Random rnd = new Random(3);
      List<ScoreRequest> reqs = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        reqs.add(
            new ScoreRequest(
                "r" + i, randomIds(rnd, 1 + rnd.nextInt(9)), randomIds(rnd, 1 + rnd.nextInt(40))));
      }
      List<ScoreResult> batched = new SequenceScorer(model, 6, LengthPolicy.FAIL).score(reqs);
      SequenceScorer single = new SequenceScorer(model, 1, LengthPolicy.FAIL);
      for (int i = 0; i < reqs.size(); i++) {
        ScoreResult alone = single.score(List.of(reqs.get(i))).get(0);
        assertEquals(
            alone.logp(),
            batched.get(i).logp(),
            1e-4,
            "row " + i + " alone vs padded in a batch of 6");
        assertEquals(alone.tokens(), batched.get(i).tokens());
      }
    }
  }

  static CausalLM scaled(CausalLM model) {
    model
        .parameters()
        .values()
        .forEach(p -> p.muli(10f)); // std 0.2, so log-probs are far from uniform
    return model;
  }

  static int[] randomIds(Random rnd, int n) {
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = rnd.nextInt(TinyModels.VOCAB);
    }
    return ids;
  }
}
