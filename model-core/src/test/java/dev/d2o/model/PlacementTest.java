package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.ScoreResult;
import dev.d2o.infer.SequenceScorer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The placement plan (a pure function of group bytes and device budgets) and a forward pass over a
 * model split across two stages, which must equal the one-device pass. DJL's {@code Device.cpu()}
 * twice is one device, so the two stages here are both the CPU; the activations and the per-call
 * inputs are still copied at the stage boundary, the code path a GPU pair runs.
 */
class PlacementTest {
  private static final long GB = 1_000_000_000L;

  @Test
  void fillsDevicesInOrderWithContiguousLayers() {
    long[] layers = {4, 4, 4, 4, 4, 4};
    // embedding 6 + layers 4 each + head 6 = 36 over budgets of 16
    assertArrayEquals(
        new int[] {0, 0, 0, 1, 1, 1, 1, 2}, Placement.plan(6, layers, 6, new long[] {16, 16, 16}));
    // everything fits the first device: one device used
    assertArrayEquals(new int[8], Placement.plan(6, layers, 6, new long[] {100, 100}));
    // the head goes to the next device when the last one has no room for it
    assertArrayEquals(
        new int[] {0, 0, 0, 0, 0, 0, 0, 1}, Placement.plan(6, layers, 6, new long[] {30, 30}));
  }

  @Test
  void refusesWhatDoesNotFitNamingTheSizes() {
    ModelException e =
        assertThrows(
            ModelException.class,
            () ->
                Placement.plan(
                    6 * GB, new long[] {4 * GB, 4 * GB}, 7 * GB, new long[] {10 * GB, 10 * GB}));
    assertTrue(
        e.getMessage()
                .contains(
                    "(21.00 GB in all: embedding 6.00 GB, 2 layers up to 4.00 GB each, head 7.00 GB)")
            && e.getMessage().contains("[10.00 GB, 10.00 GB]")
            && e.getMessage().contains("the head (7.00 GB) has no room left"),
        e.getMessage());
    ModelException first =
        assertThrows(
            ModelException.class, () -> Placement.plan(12, new long[] {1}, 1, new long[] {10, 10}));
    assertTrue(first.getMessage().contains("the embedding"), first.getMessage());
  }

  @Test
  void describesItsRanges() {
    Placement p = Placement.of(List.of(Device.gpu(0), Device.gpu(1)), new int[] {0, 0, 0, 1, 1, 1});
    assertEquals("gpu(0): embedding, layers 0-1; gpu(1): layers 2-3, head", p.toString());
    assertTrue(p.isStaged());
    assertEquals(1, p.layerStage(2));
  }

  /** Two stages on the CPU give the one-device log-probs exactly. */
  @ParameterizedTest
  @ValueSource(strings = {"llama-bf16", "gpt2-f32-hub", "gemma2-f32"})
  void twoStagesScoreAsOne(String name) {
    Path dir = Path.of("src/test/resources/golden", name);
    List<ScoreRequest> reqs =
        List.of(
            new ScoreRequest("a", new int[] {1, 5, 9}, new int[] {7, 3, 2, 8}),
            new ScoreRequest("b", new int[] {4}, new int[] {11, 2}));
    try (NDManager m = NDManager.newBaseManager();
        Pretrained one = Pretrained.load(dir, m, LoadOptions.of("float16"))) {
      TensorLayout layout = one.model().layout();
      long budget =
          (layout.embedding().parameterCount() + layout.layers().get(0).parameterCount()) * 2;
      LoadOptions split =
          new LoadOptions(
              "float16", List.of(Device.cpu(), Device.cpu()), new long[] {budget, Long.MAX_VALUE});
      try (Pretrained two = Pretrained.load(dir, m, split)) {
        Placement p = two.model().placement();
        assertTrue(p.isStaged(), p.toString());
        assertEquals(0, p.layerStage(0));
        assertEquals(1, p.headStage());
        List<ScoreResult> a = new SequenceScorer(one.model(), 8, LengthPolicy.FAIL).score(reqs);
        List<ScoreResult> b = new SequenceScorer(two.model(), 8, LengthPolicy.FAIL).score(reqs);
        for (int i = 0; i < reqs.size(); i++) {
          assertEquals(a.get(i).logp(), b.get(i).logp(), 0.0, name + " row " + i);
        }
      }
    }
  }
}
