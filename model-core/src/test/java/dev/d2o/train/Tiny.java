package dev.d2o.train;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny random models and rows for the training tests: a 2-layer GPT-2 with 16-wide embeddings over
 * 64 tokens.
 */
final class Tiny {
  static final int K = 2;

  private Tiny() {}

  static ModelConfig gpt2Config() {
    try {
      ObjectNode n =
          (ObjectNode)
              new ObjectMapper()
                  .readTree(
                      "{\"model_type\":\"gpt2\",\"vocab_size\":64,\"n_embd\":16,\"n_layer\":2,\"n_head\":2,\"n_positions\":64}");
      return ModelConfig.fromJson(n, "tiny gpt2");
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static CausalLM gpt2(NDManager manager, long seed) {
    return CausalLM.random(gpt2Config(), seed, manager);
  }

  /** A small, fast training configuration; {@code overrides} are key, value pairs. */
  static TrainConfig config(Object... overrides) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("k", K);
    m.put("learningRate", 1e-3);
    m.put("schedule", "constant");
    m.put("batchSize", 4);
    m.put("chunkSize", 4);
    m.put("maxSteps", 100);
    for (int i = 0; i < overrides.length; i += 2) {
      m.put((String) overrides[i], overrides[i + 1]);
    }
    return TrainConfig.of(m);
  }

  /**
   * Rows with anchors drawn from tokens [0, 32) and negatives from [32, 64), so that raising one
   * and lowering the other are distinct directions; reference log-probs are placeholders until
   * {@link #withReference}.
   */
  static List<TrainExample> rows(int n, long seed) {
    Random r = new Random(seed);
    List<TrainExample> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int[][] anchors = new int[K][];
      for (int j = 0; j < K; j++) {
        anchors[j] = ids(r, 2 + r.nextInt(4), 0);
      }
      out.add(
          new TrainExample(
              "row" + i,
              ids(r, 2 + r.nextInt(3), 0),
              ids(r, 2 + r.nextInt(4), 32),
              anchors,
              new double[K],
              0));
    }
    return out;
  }

  /**
   * The rows with reference log-probs scored by {@code reference}, packed as the trainer packs
   * them.
   */
  static List<TrainExample> withReference(
      CausalLM reference, TrainConfig config, List<TrainExample> rows) {
    float[][] logps =
        new GradientComputer(reference, config.loss(), config.get(TrainConfig.CHUNK_SIZE))
            .sequenceLogps(rows);
    int k = config.loss().k();
    List<TrainExample> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      double[] anchors = new double[k];
      for (int j = 0; j < k; j++) {
        anchors[j] = logps[i][j];
      }
      out.add(rows.get(i).withReference(anchors, logps[i][k]));
    }
    return out;
  }

  static float[][] weights(CausalLM model) {
    return model.parameters().values().stream().map(a -> a.toFloatArray()).toArray(float[][]::new);
  }

  static float[][] copy(float[][] w) {
    return Arrays.stream(w).map(float[]::clone).toArray(float[][]::new);
  }

  static double maxAbsDiff(float[][] a, float[][] b) {
    double d = 0;
    for (int p = 0; p < a.length; p++) {
      for (int i = 0; i < a[p].length; i++) {
        d = Math.max(d, Math.abs((double) a[p][i] - b[p][i]));
      }
    }
    return d;
  }

  static double maxAbsDiff(double[][] a, double[][] b) {
    double d = 0;
    for (int p = 0; p < a.length; p++) {
      for (int i = 0; i < a[p].length; i++) {
        d = Math.max(d, Math.abs(a[p][i] - b[p][i]));
      }
    }
    return d;
  }

  private static int[] ids(Random r, int len, int offset) {
    int[] out = new int[len];
    for (int i = 0; i < len; i++) {
      out[i] = offset + r.nextInt(32);
    }
    return out;
  }
}
