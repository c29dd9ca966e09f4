package dev.d2o.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.training.GradientCollector;
import dev.d2o.infer.PaddedBatch;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.model.CausalLM;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * The gradient work of one training step on a shard of rows: a pure function of (weights, rows).
 * The policy scores the B·(K+1) sequences of the rows in padded chunks, the loss of {@link Losses}
 * is summed, and its gradient is read out into {@code float[]} per parameter. Nothing carries over
 * between calls: gradients are zeroed before and after each chunk, so a retried Spark task gives
 * the same sums.
 *
 * <p>A chunk is back-propagated in one autograd graph when {@code train.tokensPerBackward} is 0 and
 * the model's weights are F32 on one device; otherwise in groups of sequences with the loss's
 * derivative by each sequence log-prob as weights ({@link ChunkGradient}), layer by layer for
 * half-precision or multi-device models.
 *
 * <p>Gradients are recorded in a {@link ThreadGradientScope}, confined to the calling thread: two
 * computers on separate models may run at once in two threads (two Spark tasks of one JVM). One
 * computer is not thread-safe.
 */
public final class GradientComputer {
  private static final NDIndex ALL = new NDIndex("...");

  private final CausalLM model;
  private final LossConfig loss;
  private final int examplesPerChunk;
  private final int tokensPerBackward;
  private final ChunkGradient grouped;
  private final List<NDArray> params;
  private long weightsVersion;

  /**
   * @param model the policy replica; its weights are the weights version 0 until {@link
   *     #setWeights}
   * @param examplesPerChunk rows per forward/backward pass ((K+1) sequences each); bounds
   *     activation memory
   */
  public GradientComputer(CausalLM model, LossConfig loss, int examplesPerChunk) {
    this(model, loss, examplesPerChunk, 0, false);
  }

  /**
   * @param tokensPerBackward padded tokens per backward group ({@code train.tokensPerBackward}); 0
   *     for one group per chunk
   */
  public GradientComputer(
      CausalLM model, LossConfig loss, int examplesPerChunk, int tokensPerBackward) {
    this(model, loss, examplesPerChunk, tokensPerBackward, false);
  }

  /** As above; {@code layerByLayer} forces the layer-by-layer backward (tests). */
  GradientComputer(
      CausalLM model,
      LossConfig loss,
      int examplesPerChunk,
      int tokensPerBackward,
      boolean layerByLayer) {
    if (examplesPerChunk < 1) {
      throw new IllegalArgumentException(
          TrainConfig.CHUNK_SIZE.name() + " must be ≥ 1, got " + examplesPerChunk);
    }
    this.model = model;
    this.loss = loss;
    this.examplesPerChunk = examplesPerChunk;
    this.tokensPerBackward = tokensPerBackward;
    boolean layered = layerByLayer || model.weightType().isHalf() || model.placement().isStaged();
    this.grouped = layered || tokensPerBackward > 0 ? new ChunkGradient(model, layered) : null;
    this.params = new ArrayList<>(model.trainableParameters().values()); // adapters only (LoRA)
    model.setTrainable(true);
  }

  /** The version of the weights the replica holds. */
  public long weightsVersion() {
    return weightsVersion;
  }

  /**
   * Replaces the replica's trainable weights (in {@code trainableParameters()} order) and records
   * their version.
   */
  public void setWeights(long version, float[][] weights) {
    if (weights.length != params.size()) {
      throw new IllegalArgumentException(
          "expected " + params.size() + " weight arrays, got " + weights.length);
    }
    for (int p = 0; p < weights.length; p++) {
      // PyTorch's set points the tensor at a direct buffer that the parameter's own wrapper keeps
      // alive: safe here because the model holds these wrappers (never do this through a temporary
      // wrapper, see zeroGradients)
      params.get(p).set(weights[p]);
    }
    weightsVersion = version;
  }

  /**
   * Adds the sums over {@code rows} into {@code acc} and returns it: the aggregator's {@code add}.
   */
  public GradientSums add(GradientSums acc, List<TrainExample> rows) {
    return acc.merge(compute(rows));
  }

  /** Loss, gradient and metric sums over {@code rows} at the current weights. */
  public GradientSums compute(List<TrainExample> rows) {
    return inChunks(rows, this::chunk);
  }

  /**
   * Next-token (SFT) loss and gradient sums over {@code rows}: each row's loss is its mean
   * response-token negative log-likelihood −(1/|y|)·Σₜ log π_θ(yₜ|x, y<t); the reward metrics are
   * 0.
   */
  public GradientSums computeSft(List<SftExample> rows) {
    return inChunks(rows, this::sftChunk);
  }

  /**
   * Runs {@code body} on consecutive chunks of {@code rows}, one gradient scope each, zeroed around
   * it.
   */
  private <R> GradientSums inChunks(List<R> rows, BiConsumer<List<R>, GradientSums> body) {
    GradientSums sums = GradientSums.zero();
    for (int start = 0; start < rows.size(); start += examplesPerChunk) {
      List<R> chunk = rows.subList(start, Math.min(rows.size(), start + examplesPerChunk));
      zeroGradients();
      try {
        body.accept(chunk, sums);
      } finally {
        zeroGradients();
      }
    }
    return sums;
  }

  private void sftChunk(List<SftExample> rows, GradientSums sums) {
    int n = rows.size();
    long tokens = 0;
    List<ScoreRequest> requests = new ArrayList<>(n);
    float[] lengths = new float[n];
    for (int i = 0; i < n; i++) {
      SftExample r = rows.get(i);
      requests.add(new ScoreRequest(r.id(), r.promptIds(), r.responseIds()));
      lengths[i] = Math.max(1, r.responseIds().length);
      tokens += r.tokens();
    }
    float[] losses = new float[n];
    try (NDManager m = model.manager().newSubManager();
        GradientCollector collector = ThreadGradientScope.open()) {
      if (grouped == null) {
        PaddedBatch batch = PaddedBatch.of(m, requests, model);
        NDArray nll =
            SequenceScorer.tokenLogps(model, batch)
                .sum(new int[] {1})
                .div(m.create(lengths))
                .neg(); // (B)
        collector.backward(nll.sum());
        losses = nll.toFloatArray();
      } else { // −(1/|y|)·log π(y|x): the weight of each sequence's log-prob is −1/|y|
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
          w[i] = -1f / lengths[i];
        }
        List<int[]> groups = BackwardGroups.of(requests, tokensPerBackward);
        float[] logps = grouped.run(m, requests, groups, lp -> w, collector);
        for (int i = 0; i < n; i++) {
          losses[i] = -logps[i] / lengths[i];
        }
      }
    }
    float[] zeros = new float[n];
    sums.addChunk(weightsVersion, gradients(), losses, zeros, zeros, zeros, zeros, zeros, tokens);
  }

  private float[][] gradients() {
    float[][] grad = new float[params.size()][];
    for (int p = 0; p < grad.length; p++) {
      try (NDArray g = params.get(p).getGradient()) {
        grad[p] = g.toFloatArray();
      }
    }
    return grad;
  }

  private void chunk(List<TrainExample> rows, GradientSums sums) {
    int n = rows.size();
    int k = loss.k();
    long tokens = 0;
    for (TrainExample r : rows) {
      tokens += r.tokens();
    }
    List<ScoreRequest> seqs = requests(rows, k);
    try (NDManager m = model.manager().newSubManager()) {
      LossOutput out;
      float[] logps; // (B·(K+1))
      if (grouped == null) { // one autograd graph for the chunk
        try (GradientCollector collector = ThreadGradientScope.open()) {
          NDArray seq =
              SequenceScorer.tokenLogps(model, PaddedBatch.of(m, seqs, model))
                  .sum(new int[] {1})
                  .reshape(n, k + 1); // (B, K+1)
          out = lossOf(m, rows, seq);
          collector.backward(out.losses().sum());
          logps = seq.toFloatArray();
        }
      } else {
        List<int[]> groups = BackwardGroups.of(seqs, tokensPerBackward);
        LossOutput[] loss = new LossOutput[1];
        try (GradientCollector collector = ThreadGradientScope.open()) {
          logps =
              grouped.run(
                  m,
                  seqs,
                  groups,
                  lp -> { // ∂(Σ losses)/∂ log π(yₛ|x), from a graph of the log-probs alone
                    NDArray seq = m.create(lp).reshape(n, k + 1); // (B, K+1), a leaf
                    seq.setRequiresGradient(true);
                    loss[0] = lossOf(m, rows, seq);
                    collector.backward(loss[0].losses().sum());
                    return seq.getGradient().toFloatArray();
                  },
                  collector);
        }
        out = loss[0];
      }
      NDArray seq = m.create(logps).reshape(n, k + 1);
      sums.addChunk(
          weightsVersion,
          gradients(),
          out.losses().toFloatArray(),
          out.margin().toFloatArray(),
          out.rewardsAnchors().toFloatArray(),
          out.rewardsNegative().toFloatArray(),
          seq.get(":, :" + k).mean(new int[] {1}).toFloatArray(),
          seq.get(":, " + k).toFloatArray(),
          tokens);
    }
  }

  /** The loss of {@code rows} from their sequence log-probs (B, K+1): K anchors, the negative. */
  private LossOutput lossOf(NDManager m, List<TrainExample> rows, NDArray seq) {
    int k = loss.k();
    return Losses.compute(
        loss,
        seq.get(":, :" + k), // (B, K)
        reference(m, rows, true),
        seq.get(":, " + k), // (B)
        reference(m, rows, false),
        negativeTokens(m, rows));
  }

  /**
   * The policy's sequence log-probs of the rows, without gradients and packed exactly as {@link
   * #compute} packs them (per chunk, and per backward group), so that reference log-probs taken
   * with this method give Δ = 0 bit for bit at θ = reference.
   *
   * @return per row: K anchor log-probs followed by the negative's log-prob
   */
  public float[][] sequenceLogps(List<TrainExample> rows) {
    int k = loss.k();
    float[][] out = new float[rows.size()][];
    for (int start = 0; start < rows.size(); start += examplesPerChunk) {
      List<TrainExample> chunk =
          rows.subList(start, Math.min(rows.size(), start + examplesPerChunk));
      List<ScoreRequest> seqs = requests(chunk, k);
      try (NDManager m = model.manager().newSubManager()) {
        float[] seq =
            grouped != null
                ? grouped.logps(m, seqs, BackwardGroups.of(seqs, tokensPerBackward))
                : new ChunkGradient(model, false).logps(m, seqs, BackwardGroups.of(seqs, 0));
        for (int i = 0; i < chunk.size(); i++) {
          out[start + i] = Arrays.copyOfRange(seq, i * (k + 1), (i + 1) * (k + 1));
        }
      }
    }
    return out;
  }

  /** Row i's K anchors, then its negative: sequence i·(K+1)+j. */
  private static List<ScoreRequest> requests(List<TrainExample> rows, int k) {
    List<ScoreRequest> out = new ArrayList<>(rows.size() * (k + 1));
    for (TrainExample r : rows) {
      if (r.k() != k) {
        throw new IllegalArgumentException(
            "row " + r.id() + " has " + r.k() + " anchors but " + LossConfig.K.name() + " = " + k);
      }
      for (int j = 0; j < k; j++) {
        out.add(new ScoreRequest(r.id() + "/anchor" + j, r.promptIds(), r.anchorIds()[j]));
      }
      out.add(new ScoreRequest(r.id() + "/negative", r.promptIds(), r.negativeIds()));
    }
    return out;
  }

  private static NDArray reference(NDManager m, List<TrainExample> rows, boolean anchors) {
    int k = rows.get(0).k();
    float[] v = new float[anchors ? rows.size() * k : rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      if (anchors) {
        for (int j = 0; j < k; j++) {
          v[i * k + j] = (float) rows.get(i).refLogpAnchors()[j];
        }
      } else {
        v[i] = (float) rows.get(i).refLogpNegative();
      }
    }
    return anchors ? m.create(v).reshape(rows.size(), k) : m.create(v); // (B, K) or (B)
  }

  private static NDArray negativeTokens(NDManager m, List<TrainExample> rows) {
    float[] v = new float[rows.size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = rows.get(i).negativeIds().length;
    }
    return m.create(v); // (B)
  }

  private void zeroGradients() {
    for (NDArray p : params) {
      try (NDArray g = p.getGradient()) {
        // An indexed fill copies 0 into the gradient's own storage. Not g·0 (NaN·0 stays NaN), and
        // not set(Buffer): PyTorch's set re-points the tensor at the Java buffer, which this
        // wrapper's close would leave dangling.
        g.set(ALL, 0f);
      }
    }
  }
}
