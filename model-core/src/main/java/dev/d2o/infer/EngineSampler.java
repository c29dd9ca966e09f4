package dev.d2o.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * {@link TokenSampler}'s draw for a whole batch as engine operations on the logits' device: only
 * the chosen token ids and their log-probs come back to Java, never a vocabulary-wide row. Each
 * row's uniform comes from the row's own stream, drawn in Java (one per row per step), so the
 * guarantee stays: a sample depends on (seed, id, j) and the weights only.
 *
 * <p>The arithmetic is TokenSampler's, in float64 and in the same order: penalty, EOS ban, (x −
 * max)/T, exp; top-k/top-p keep the ranks TokenSampler keeps (probability rounded to float, ties to
 * the lower id) and compare the same sequential sums; the draw is the inverse CDF in vocabulary
 * order over a sequential cumulative sum (PyTorch's CPU cumsum adds in order, as the Java loop
 * does). What may differ is the last bit of {@code exp} and {@code log} (the engine's vectorised
 * kernels against {@link Math}), which moves a CDF boundary by ~1e-16 relative: a token can differ
 * only when the uniform falls that close to a boundary ({@code EngineSamplerTest} counts).
 */
final class EngineSampler implements AutoCloseable {
  /** One step's tokens and log-probs, per batch row. */
  record Draws(long[] tokens, double[] logps) {}

  /**
   * Tie-breaking factor step: a key p·(1 − id·2⁻²⁶/V) orders float probabilities as TokenSampler
   * does (higher first, equal ones by lower id) because it moves p by less than half the gap to the
   * next float below (≥ p·2⁻²⁴), while consecutive ids stay ≥ 2⁶ double ulps apart.
   */
  private static final double TIE_STEP = 0x1p-26;

  /**
   * Elements per chunk of rows sampled together (see {@link #draw}): 20 rows of GPT-2's 50257, so a
   * batch of 16 is one chunk (each chunk costs the same ~15 engine calls).
   */
  private static final int CHUNK_ELEMENTS = 1 << 20;

  private final SamplingConfig config;
  private final int vocab;
  private final NDManager manager;
  private final int[] eosIds; // banned while min_new_tokens is not reached; empty: no ban
  private NDArray seen; // (B, V) float32 1/0: token in prompt or sample; null without penalty
  private NDArray tieBreak; // (1, V) float64, made on first use

  /**
   * @param rows the batch's rows, in batch order (their prompts seed the repetition penalty)
   */
  EngineSampler(
      SamplingConfig config, int[] eosIds, int vocab, NDManager parent, List<SampleRow> rows) {
    this.config = config;
    this.vocab = vocab;
    this.manager = parent.newSubManager();
    this.eosIds = config.minNewTokens() == 0 ? new int[0] : eosIds.clone();
    if (config.repetitionPenalty() != 1.0) {
      seen = manager.zeros(new Shape(rows.size(), vocab));
      NDScope.unregister(seen);
      int n = 0;
      for (SampleRow r : rows) {
        n += r.prompt.length;
      }
      long[] row = new long[n];
      long[] token = new long[n];
      n = 0;
      for (int i = 0; i < rows.size(); i++) {
        for (int t : rows.get(i).prompt) {
          row[n] = i;
          token[n++] = t;
        }
      }
      mark(row, token);
    }
  }

  /**
   * Draws one token per row of {@code logits} (B, V).
   *
   * @param uniforms one uniform in [0, 1) per row, from the row's stream (ignored when greedy)
   * @param generated tokens generated so far by the rows (for {@code min_new_tokens})
   */
  Draws draw(NDArray logits, double[] uniforms, int generated) {
    int b = Math.toIntExact(logits.getShape().get(0));
    long[] tokens = new long[b];
    double[] logps = new double[b];
    // A few rows at a time: temporaries of ≤ 8 MB are reused from the allocator's heap, where one
    // (B, V) float64 temporary per op (35 MB at B = 88, V = 50257) would be a fresh mapping each
    // time, its page faults costing more than the arithmetic (measured: 3–5× slower on CPU).
    int chunk = Math.max(1, CHUNK_ELEMENTS / vocab);
    for (int r0 = 0; r0 < b; r0 += chunk) {
      int r1 = Math.min(b, r0 + chunk);
      try (NDManager m = logits.getManager().newSubManager()) {
        NDArray rows = logits.get(m, new NDIndex().addSliceDim(r0, r1)); // (C, V)
        NDArray seenRows = seen == null ? null : seen.get(m, new NDIndex().addSliceDim(r0, r1));
        double[] u = java.util.Arrays.copyOfRange(uniforms, r0, r1);
        drawRows(rows, seenRows, u, generated, r0, tokens, logps);
      }
    }
    return new Draws(tokens, logps);
  }

  /** {@link #draw} for rows [r0, r0 + C): writes their tokens and log-probs from {@code r0}. */
  private void drawRows(
      NDArray logits,
      NDArray seenRows,
      double[] uniforms,
      int generated,
      int r0,
      long[] tokens,
      double[] logps) {
    NDManager m = logits.getManager();
    int c = uniforms.length;
    NDArray x = logits.toType(DataType.FLOAT64, true); // (C, V), a copy: changed in place below
    if (seenRows != null) {
      NDArray pen = m.create(config.repetitionPenalty());
      NDArray penalised = NDArrays.where(x.gt(0), x.div(pen), x.mul(pen)); // CTRL's penalty
      x = NDArrays.where(seenRows.gt(0), penalised, x);
    }
    if (generated < config.minNewTokens()) {
      for (int e : eosIds) {
        x.set(new NDIndex().addAllDim().addIndices(e), Double.NEGATIVE_INFINITY); // a column
      }
    }
    if (config.isGreedy()) {
      System.arraycopy(x.argMax(1).toLongArray(), 0, tokens, r0, c); // the first maximum, as Java
      return; // log-prob 0: a point mass
    }
    x.subi(x.max(new int[] {1}, true)); // (C, V) x − max
    if (config.temperature() != 1.0) {
      x.muli(m.create(1.0 / config.temperature())); // (x − max)·(1/T), as Java multiplies
    }
    NDArray p = x.exp(); // (C, V) unnormalised, the largest is 1
    if ((config.topK() > 0 && config.topK() < vocab) || config.topP() < 1.0) {
      p.muli(kept(p)); // zero outside top-k / top-p
    }
    NDArray cdf = p.cumSum(1); // (C, V) sequential sums in vocabulary order
    NDArray total = cdf.get(":, -1:"); // (C, 1)
    NDArray target = m.create(uniforms, new Shape(c, 1)).mul(total); // (C, 1)
    // the first token whose cumulative mass exceeds the target = how many do not
    NDArray pick = cdf.lte(target).sum(new int[] {1}, true); // (C, 1) int64
    long[] picked = pick.toLongArray();
    NDArray safe = pick.minimum(vocab - 1); // index ints, outside any graph
    double[] lp = p.gather(safe, 1).div(total).log().toDoubleArray(); // (C, 1)
    for (int i = 0; i < c; i++) {
      if (picked[i] == vocab) { // u·total rounded up to total: Java keeps the last positive token
        picked[i] = lastPositive(p, i);
        lp[i] = Math.log(p.getDouble(i, picked[i]) / total.getDouble(i, 0));
      }
    }
    System.arraycopy(picked, 0, tokens, r0, c);
    System.arraycopy(lp, 0, logps, r0, c);
  }

  /**
   * 1 for the tokens TokenSampler keeps under top-k then top-p, 0 elsewhere (B, V): rank by the
   * float-rounded probability (ties to the lower id), keep the k best, then the shortest prefix of
   * them whose sequential mass reaches top_p × their mass.
   */
  private NDArray kept(NDArray p) {
    int k = config.topK() > 0 ? Math.min(config.topK(), vocab) : vocab;
    NDArray key = p.toType(DataType.FLOAT32, false).toType(DataType.FLOAT64, false).mul(tieBreak());
    NDArray rankKey;
    NDArray rankId;
    if (k < vocab) {
      NDList top = key.topK(k, 1, true, true); // (B, k) each, best first
      rankKey = top.get(0);
      rankId = top.get(1);
    } else {
      rankId = key.argSort(1, false); // (B, V) best first (the keys are distinct where p > 0)
      rankKey = key.gather(rankId, 1);
    }
    NDArray cum = p.gather(rankId, 1).cumSum(1); // (B, k) mass of the r + 1 best
    NDArray mass = cum.get(":, -1:"); // (B, 1)
    NDArray topP = p.getManager().create(config.topP());
    // the rank of the last kept token: the first r whose mass reaches top_p · mass
    NDArray last =
        cum.lt(mass.mul(topP)).toType(DataType.INT64, false).sum(new int[] {1}, true); // (B, 1)
    return key.gte(rankKey.gather(last, 1)).toType(DataType.FLOAT64, false); // (B, V)
  }

  private NDArray tieBreak() {
    if (tieBreak == null) {
      double[] f = new double[vocab];
      for (int i = 0; i < vocab; i++) {
        f[i] = 1 - i * TIE_STEP / vocab;
      }
      tieBreak = manager.create(f, new Shape(1, vocab));
      NDScope.unregister(tieBreak);
    }
    return tieBreak;
  }

  private int lastPositive(NDArray p, int row) {
    boolean[] positive = p.get(row).gt(0).toBooleanArray();
    for (int i = positive.length - 1; i > 0; i--) {
      if (positive[i]) {
        return i;
      }
    }
    return 0;
  }

  /**
   * Records drawn tokens for the repetition penalty: row {@code rows[i]} drew {@code tokens[i]}.
   */
  void markSeen(long[] rows, long[] tokens) {
    if (seen != null && rows.length > 0) {
      mark(rows, tokens);
    }
  }

  private void mark(long[] rows, long[] tokens) {
    try (NDManager m = manager.newSubManager()) {
      seen.set(new NDIndex("{}, {}", m.create(rows), m.create(tokens)), 1f); // in place
    }
  }

  /** Keeps only the given batch rows, in order (see {@link dev.d2o.model.KvCache#selectRows}). */
  void selectRows(long[] rows) {
    if (seen != null) {
      NDArray idx = manager.create(rows);
      NDArray next = seen.get(idx);
      NDScope.unregister(next);
      seen.close();
      idx.close();
      seen = next;
    }
  }

  @Override
  public void close() {
    manager.close();
  }
}
