package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.d2o.infer.PaddedBatch;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoadOptions;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.ModelException;
import dev.d2o.model.Pretrained;
import dev.d2o.testing.TinyModels;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bounded activations (issue 15, item 3): back-propagating a chunk's sequences one at a time (or in
 * token-bounded groups) with ∂L/∂ log π(yₛ) as weights, or layer by layer, gives the joint
 * backward's gradient within 1e-5 relative, for every loss, full fine-tuning and LoRA, and for
 * half-precision and two-stage models.
 */
class BackwardEquivalenceTest {
  private static final LoraConfig LORA = LoraConfig.of(4, 8, 0, "auto");
  private static NDManager manager;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  static Stream<Arguments> cases() {
    List<Arguments> out = new ArrayList<>();
    for (String loss : List.of("d2o", "d2o-instance", "dpo", "npo", "ga")) {
      out.add(Arguments.of(loss, "llama", false));
      out.add(Arguments.of(loss, "llama", true));
      out.add(Arguments.of(loss, "gpt2", true)); // Conv1D projections
      out.add(Arguments.of(loss, "gemma2", false)); // soft-capped logits
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0} {1} lora={2}")
  @MethodSource("cases")
  void groupedAndLayeredEqualTheJointBackward(String loss, String family, boolean lora) {
    ModelConfig config =
        switch (family) {
          case "gpt2" -> TinyModels.gpt2();
          case "llama" -> TinyModels.llama();
          default -> TinyModels.gemma2();
        };
    try (CausalLM base = scaled(CausalLM.random(config, 3, manager));
        CausalLM reference = scaled(CausalLM.random(config, 4, manager))) {
      CausalLM policy = lora ? base.withAdapters(adapters(config, 5)) : base;
      TrainConfig tc = Tiny.config("loss", loss, "beta", 1.0, "alpha", 1.0);
      List<TrainExample> rows = Tiny.withReference(reference, tc, Tiny.rows(3, 6));
      GradientSums joint = new GradientComputer(policy, tc.loss(), 4).compute(rows);
      String what = loss + " " + family + (lora ? " LoRA" : " full");
      assertClose(joint, new GradientComputer(policy, tc.loss(), 4, 1, false).compute(rows), what);
      assertClose(joint, new GradientComputer(policy, tc.loss(), 4, 0, true).compute(rows), what);
      assertClose(joint, new GradientComputer(policy, tc.loss(), 4, 20, true).compute(rows), what);
    }
  }

  @Test
  void sftGroupedAndLayeredEqualTheJointBackward() {
    try (CausalLM base = scaled(CausalLM.random(TinyModels.llama(), 7, manager))) {
      CausalLM policy = base.withAdapters(adapters(TinyModels.llama(), 8));
      List<SftExample> rows = new ArrayList<>();
      Random r = new Random(9);
      for (int i = 0; i < 5; i++) {
        rows.add(new SftExample("s" + i, ids(r, 2 + i), ids(r, 3 + i)));
      }
      LossConfig lc = Tiny.config().loss();
      GradientSums joint = new GradientComputer(policy, lc, 5).computeSft(rows);
      assertClose(joint, new GradientComputer(policy, lc, 5, 1, false).computeSft(rows), "sft");
      assertClose(joint, new GradientComputer(policy, lc, 5, 0, true).computeSft(rows), "sft");
    }
  }

  /**
   * A base stored in F16 trains its adapters layer by layer with the gradient of the same base in
   * F32 (weights rounded to F16 values first, so both hold the same numbers).
   */
  @Test
  void halfPrecisionBaseTrainsAsItsF32Twin(@TempDir Path tmp) throws IOException {
    Path dir = roundedModel(tmp);
    TrainConfig tc = Tiny.config("beta", 1.0, "alpha", 1.0);
    try (Pretrained half = Pretrained.load(dir, manager, LoadOptions.of("float16"));
        Pretrained full = Pretrained.load(dir, manager, LoadOptions.of("float32"))) {
      List<TrainExample> rows = Tiny.withReference(full.model(), tc, Tiny.rows(3, 11));
      CausalLM h = half.model().withAdapters(adapters(full.model().config(), 12));
      CausalLM f = full.model().withAdapters(adapters(full.model().config(), 12));
      GradientSums joint = new GradientComputer(f, tc.loss(), 4).compute(rows);
      assertClose(joint, new GradientComputer(h, tc.loss(), 4).compute(rows), "F16 base");
      assertClose(joint, new GradientComputer(h, tc.loss(), 4, 10, false).compute(rows), "F16");
    }
  }

  /** A base on two stages (both the CPU, the activations copied between them) trains as one. */
  @Test
  void twoStageBaseTrainsAsOneDevice(@TempDir Path tmp) throws IOException {
    Path dir = roundedModel(tmp);
    TrainConfig tc = Tiny.config("beta", 1.0, "alpha", 1.0);
    LoadOptions split =
        new LoadOptions(
            "float32",
            List.of(Device.cpu(), Device.cpu()),
            new long[] {72_000, 1L << 40}); // embedding and layer 0, then layer 1
    try (Pretrained one = Pretrained.load(dir, manager, LoadOptions.of("float32"));
        Pretrained two = Pretrained.load(dir, manager, split)) {
      assertEquals(
          "cpu(): embedding, layer 0; cpu(): layer 1, head", two.model().placement().toString());
      List<TrainExample> rows = Tiny.withReference(one.model(), tc, Tiny.rows(3, 13));
      CausalLM a = one.model().withAdapters(adapters(one.model().config(), 14));
      CausalLM b = two.model().withAdapters(adapters(one.model().config(), 14));
      GradientSums joint = new GradientComputer(a, tc.loss(), 4).compute(rows);
      assertClose(joint, new GradientComputer(b, tc.loss(), 4).compute(rows), "two stages");
      // one graph across the stages would lose the gradients before the copy: refused
      b.setTrainable(true);
      try (NDManager m = manager.newSubManager();
          GradientCollector c = m.getEngine().newGradientCollector()) {
        PaddedBatch batch =
            PaddedBatch.of(m, List.of(new ScoreRequest("x", new int[] {1, 2}, new int[] {3})), b);
        ModelException e =
            assertThrows(ModelException.class, () -> SequenceScorer.tokenLogps(b, batch));
        assertTrue(
            e.getMessage().contains("cannot record one gradient graph across them"),
            e.getMessage());
      }
    }
  }

  private static Path roundedModel(Path tmp) throws IOException {
    try (CausalLM m = scaled(CausalLM.random(TinyModels.llama(), 10, manager))) {
      for (NDArray p : m.parameters().values()) { // F16 values, so F16 storage loses nothing
        p.set(p.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false).toFloatArray());
      }
      Path dir = tmp.resolve("llama");
      Pretrained.save(m, dir, null);
      return dir;
    }
  }

  /** Adapters with B ≠ 0 (fresh ones have B = 0, which gives A no gradient). */
  private static LoraAdapters adapters(ModelConfig config, long seed) {
    Map<String, ai.djl.ndarray.types.Shape> shapes = LORA.shapes(config);
    Random r = new Random(seed);
    float[][] w = new float[shapes.size()][];
    int i = 0;
    for (ai.djl.ndarray.types.Shape s : shapes.values()) {
      w[i] = new float[(int) s.size()];
      for (int j = 0; j < w[i].length; j++) {
        w[i][j] = (float) (r.nextGaussian() * 0.1);
      }
      i++;
    }
    return LoraAdapters.fromWeights(config, LORA, List.copyOf(shapes.keySet()), w, manager);
  }

  private static CausalLM scaled(CausalLM m) {
    m.parameters().values().forEach(p -> p.muli(5f)); // std 0.1: log-probs far from uniform
    return m;
  }

  private static void assertClose(GradientSums want, GradientSums got, String what) {
    assertEquals(want.count(), got.count());
    // other paddings change the last bits of the logits (other matmul shapes): 1e-5 relative
    assertEquals(want.loss(), got.loss(), 1e-5 * Math.max(1, Math.abs(want.loss())), what);
    want.metrics()
        .forEach(
            (k, v) ->
                assertEquals(
                    v, got.metrics().get(k), 1e-5 * Math.max(1, Math.abs(v)), what + " " + k));
    float[][] a = want.gradient();
    float[][] b = got.gradient();
    double scale = 0;
    for (float[] p : a) {
      for (float v : p) {
        scale = Math.max(scale, Math.abs(v));
      }
    }
    double diff = Tiny.maxAbsDiff(a, b);
    assertTrue(scale > 0, what + ": a zero gradient compares nothing");
    assertTrue(diff <= 1e-5 * scale, what + ": max |Δg| = " + diff + " of max |g| = " + scale);
  }

  private static int[] ids(Random r, int n) {
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = r.nextInt(64);
    }
    return out;
  }
}
