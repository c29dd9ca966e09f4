package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.d2o.infer.PaddedBatch;
import dev.d2o.infer.ScoreRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The head's log-probs a vocabulary slice at a time (graph-free scoring of a half-precision model)
 * equal those of the full log-softmax, and so does the log-sum-exp the layer-by-layer backward
 * reads; the padding of a batch (prompts of different lengths, a first target after position 0)
 * included.
 */
class TokenLogpsTest {
  private static final Path MODEL = Path.of("src/test/resources/golden/llama-bf16");

  @Test
  void slicedHeadEqualsTheFullLogSoftmax() throws IOException {
    List<ScoreRequest> reqs =
        List.of(
            new ScoreRequest("a", new int[] {88, 42, 68}, new int[] {53, 7, 90, 1}),
            new ScoreRequest("b", new int[] {2, 19, 8, 77, 52}, new int[] {41, 64, 2}),
            new ScoreRequest("c", new int[] {41, 3, 5, 6}, new int[] {95, 0}));
    try (NDManager m = NDManager.newBaseManager();
        Pretrained half = Pretrained.load(MODEL, m, LoadOptions.of("auto"));
        NoGrad off = NoGrad.open()) {
      CausalLM model = half.model();
      assertEquals(WeightType.FLOAT16, model.weightType());
      PaddedBatch b = PaddedBatch.of(m, reqs, model);
      assertTrue(b.firstTarget() > 0, "the window starts after position 0");
      NDArray hidden = model.hidden(b.ids(), b.positions(), b.mask(), null); // (B, T, E)
      NDArray[] fullLse = new NDArray[1];
      float[] full =
          TokenLogps.materialized(
                  model, hidden, b.targets(), b.responseMask(), b.firstTarget(), fullLse)
              .toFloatArray();
      float[] wantLse = fullLse[0].toFloatArray();
      long vocab = model.config().vocabSize();
      for (long rows : new long[] {7, 32, vocab}) { // 14 slices, the last of 5; 3 slices; one
        NDArray[] lse = new NDArray[1];
        float[] got =
            TokenLogps.streamed(
                    model, hidden, b.targets(), b.responseMask(), b.firstTarget(), lse, rows)
                .toFloatArray();
        assertClose(full, got, "log-probs, " + rows + " rows per slice");
        assertClose(wantLse, lse[0].toFloatArray(), "log-sum-exp, " + rows + " rows per slice");
      }
      // without a graph, a half-precision model's scoring takes the sliced path
      float[] viaOf =
          TokenLogps.of(model, hidden, b.targets(), b.responseMask(), b.firstTarget(), null)
              .toFloatArray();
      float[] sliced =
          TokenLogps.streamed(
                  model,
                  hidden,
                  b.targets(),
                  b.responseMask(),
                  b.firstTarget(),
                  null,
                  Weights.HEAD_SLICE_VALUES / model.config().hiddenSize())
              .toFloatArray();
      for (int i = 0; i < sliced.length; i++) {
        assertEquals(sliced[i], viaOf[i], 0f, "of() = the sliced path at " + i);
      }
    }
  }

  /** Within 1e-5 relative (1e-5 absolute below 1); zeros (prompt, padding) stay exactly zero. */
  private static void assertClose(float[] want, float[] got, String what) {
    assertEquals(want.length, got.length, what);
    int nonZero = 0;
    for (int i = 0; i < want.length; i++) {
      if (want[i] == 0f) {
        assertEquals(0f, got[i], 0f, what + " at " + i);
        continue;
      }
      nonZero++;
      double tol = 1e-5 * Math.max(1, Math.abs(want[i]));
      assertEquals(want[i], got[i], tol, what + " at " + i);
    }
    assertTrue(nonZero >= 9, what + ": the 9 response tokens are scored");
  }
}
