package dev.d2o.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.d2o.infer.PaddedBatch;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LayerBackward;
import dev.d2o.model.NoGrad;
import java.util.Arrays;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The backward passes of one chunk when its sequences are not back-propagated in one autograd
 * graph: the losses depend on a sequence only through its summed log-prob, so
 *
 * <pre>
 *   ∇ Σᵢ Lᵢ = Σₛ (∂L/∂ log π(yₛ|x)) · ∇ log π(yₛ|x)
 * </pre>
 *
 * The chunk's sequence log-probs are computed first without a graph (per backward group, {@link
 * BackwardGroups}), the loss and its derivative by each log-prob come from {@link Losses} on those
 * numbers (a graph of a few scalars), and each group is then back-propagated alone with those
 * weights: through one autograd graph, or layer by layer ({@link LayerBackward}) when the model's
 * frozen weights are half precision or sit on several devices. Peak activation memory follows a
 * group, not the chunk. A group's log-probs are computed with the same padding in both passes, so
 * the weights belong exactly to the log-probs that are differentiated.
 */
final class ChunkGradient {
  private final CausalLM model;
  private final boolean layered;

  ChunkGradient(CausalLM model, boolean layered) {
    this.model = model;
    this.layered = layered;
  }

  /** Sequence log-probs of each group of {@code seqs}, without a graph, in order. */
  float[] logps(NDManager m, List<ScoreRequest> seqs, List<int[]> groups) {
    float[] out = new float[seqs.size()];
    try (NoGrad off = NoGrad.open()) {
      for (int[] g : groups) {
        try (NDManager gm = m.newSubManager()) {
          PaddedBatch batch = PaddedBatch.of(gm, seqs.subList(g[0], g[1]), model);
          float[] seq = SequenceScorer.tokenLogps(model, batch).sum(new int[] {1}).toFloatArray();
          System.arraycopy(seq, 0, out, g[0], seq.length);
        }
      }
    }
    return out;
  }

  /**
   * Back-propagates Σₛ wₛ · log π(yₛ|x) over every group, where w = {@code weightsOf}(the
   * sequences' log-probs); returns those log-probs. A single layer-by-layer group is run forward
   * once; otherwise the log-probs come from a graph-free pass first. Call inside {@code
   * collector}'s scope.
   */
  float[] run(
      NDManager m,
      List<ScoreRequest> seqs,
      List<int[]> groups,
      UnaryOperator<float[]> weightsOf,
      GradientCollector collector) {
    if (layered && groups.size() == 1) {
      try (NDManager gm = m.newSubManager();
          LayerBackward pass = layerPass(PaddedBatch.of(gm, seqs, model))) {
        float[] logps = pass.sequenceLogps();
        pass.backward(weightsOf.apply(logps), collector);
        return logps;
      }
    }
    float[] logps = logps(m, seqs, groups);
    float[] weights = weightsOf.apply(logps);
    for (int[] g : groups) {
      float[] w = Arrays.copyOfRange(weights, g[0], g[1]);
      try (NDManager gm = m.newSubManager()) {
        PaddedBatch batch = PaddedBatch.of(gm, seqs.subList(g[0], g[1]), model);
        if (layered) {
          try (LayerBackward pass = layerPass(batch)) {
            pass.backward(w, collector);
          }
        } else {
          NDArray logp = SequenceScorer.tokenLogps(model, batch).sum(new int[] {1}); // (g)
          collector.backward(logp.mul(gm.create(w)).sum());
        }
      }
    }
    return logps;
  }

  private LayerBackward layerPass(PaddedBatch batch) {
    return LayerBackward.forward(
        model,
        batch.ids(),
        batch.positions(),
        batch.mask(),
        batch.targets(),
        batch.responseMask(),
        batch.firstTarget());
  }
}
