package dev.d2o.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import dev.d2o.model.AttentionMask;
import dev.d2o.model.CausalLM;
import dev.d2o.model.KvCache;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one sub-batch of samples in lockstep. Prompts are left-padded to the longest, so every
 * row's newest token sits in the last slot; a row's positions count its real tokens only and
 * padding keys are masked, which makes a row's logits independent of the others. A finished row
 * leaves the batch (and the cache) at once.
 *
 * <p>Memory: every step runs in its own sub-manager and {@link NDScope}, both closed before the
 * next step (the scope also frees temporaries that ops on cached arrays create in the cache's
 * manager, such as the transposed keys); only the cache's arrays (unregistered from the scope,
 * replaced in place) and the Java-side rows outlive a step.
 */
final class BatchDecoder {
  /**
   * Sees each step's logits before sampling (tests compare cached and recomputed decoding with it).
   */
  interface StepObserver {
    /**
     * @param step 0 for the prompt pass, then one per generated token
     * @param rows the active rows, in logits order
     * @param logits (B', V) row-major
     * @param callManager the manager that owns everything this decode allocates
     */
    void onLogits(int step, List<SampleRow> rows, float[] logits, NDManager callManager);
  }

  private final CausalLM model;
  private final TokenSampler sampler;
  private final int[] eosIds;
  private final boolean useCache;
  private final StepObserver observer;

  BatchDecoder(
      CausalLM model, TokenSampler sampler, int[] eosIds, boolean useCache, StepObserver observer) {
    this.model = model;
    this.sampler = sampler;
    this.eosIds = eosIds;
    this.useCache = useCache;
    this.observer = observer;
  }

  /** Runs {@code rows} to completion; each row holds its tokens and log-prob afterwards. */
  void run(List<SampleRow> rows) {
    int vocab = model.config().vocabSize();
    int lmax = 0;
    for (SampleRow r : rows) {
      lmax = Math.max(lmax, r.prompt.length);
    }
    try (NDManager call = model.manager().newSubManager();
        KvCache cache = useCache ? new KvCache(call, model.config().numLayers()) : null) {
      List<SampleRow> active = new ArrayList<>(rows);
      float[] logits;
      try (NDManager step = call.newSubManager();
          NDScope scope = new NDScope()) {
        logits = forward(step, active, lmax, lmax, cache); // the prompt pass
      }
      for (int n = 0; ; n++) {
        if (observer != null) {
          observer.onLogits(n, active, logits, call);
        }
        List<SampleRow> next = new ArrayList<>(active.size());
        List<Long> keep = new ArrayList<>(active.size());
        for (int i = 0; i < active.size(); i++) {
          SampleRow r = active.get(i);
          TokenSampler.Draw d = sampler.draw(logits, i * vocab, r.seen, r.count(), r.rng);
          if (!r.accept(d.token(), d.logp(), isEos(d.token()))) {
            next.add(r);
            keep.add((long) i);
          }
        }
        if (next.isEmpty()) {
          return;
        }
        if (cache != null && next.size() < active.size()) {
          cache.selectRows(keep.stream().mapToLong(Long::longValue).toArray());
        }
        active = next;
        try (NDManager step = call.newSubManager();
            NDScope scope = new NDScope()) {
          int width = lmax + n + 1; // every active row has generated n + 1 tokens
          logits = forward(step, active, lmax, cache != null ? 1 : width, cache);
        }
      }
    }
  }

  /**
   * One forward pass over the last {@code queryLen} slots of the left-padded rows; returns the last
   * slot's logits (B', V) as floats.
   */
  private float[] forward(
      NDManager m, List<SampleRow> rows, int lmax, int queryLen, KvCache cache) {
    int b = rows.size();
    int width = lmax + rows.get(0).count(); // S: key slots after this pass
    long[] ids = new long[b * queryLen];
    long[] pos = new long[b * queryLen];
    boolean[][] valid = new boolean[b][width];
    for (int i = 0; i < b; i++) {
      SampleRow r = rows.get(i);
      int pad = lmax - r.prompt.length;
      for (int s = pad; s < width; s++) {
        valid[i][s] = true;
      }
      for (int q = 0; q < queryLen; q++) {
        int slot = width - queryLen + q;
        int j = slot - pad; // index among the row's real tokens
        ids[i * queryLen + q] = j >= 0 ? r.tokenAt(j) : 0;
        pos[i * queryLen + q] = Math.max(j, 0);
      }
    }
    Shape s = new Shape(b, queryLen);
    AttentionMask mask = AttentionMask.of(m, valid, queryLen, model.config());
    NDArray hidden = model.hidden(m.create(ids, s), m.create(pos, s), mask, cache); // (B', T, E)
    NDArray last = queryLen == 1 ? hidden : hidden.get(":, -1:, :"); // (B', 1, E)
    return model.logits(last).toFloatArray(); // (B', 1, V)
  }

  private boolean isEos(int token) {
    for (int e : eosIds) {
      if (e == token) {
        return true;
      }
    }
    return false;
  }
}
