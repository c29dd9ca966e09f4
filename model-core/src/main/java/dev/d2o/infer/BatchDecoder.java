package dev.d2o.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.d2o.model.AttentionMask;
import dev.d2o.model.CausalLM;
import dev.d2o.model.KvCache;
import dev.d2o.model.NoGrad;
import java.util.ArrayList;
import java.util.List;

/**
 * Decodes one sub-batch of samples in lockstep. Prompts are left-padded to the longest, so every
 * row's newest token sits in the last slot; a row's positions count its real tokens only and
 * padding keys are masked, which makes a row's logits independent of the others.
 *
 * <p>With the shared prefill, the rows of one prompt (consecutive in the sub-batch) cost one prompt
 * pass: its keys and values are copied to each of them. The preallocated cache takes each step's
 * keys and values in place. A finished row stays in the batch (its output ignored) until a quarter
 * of the batch has finished, then the batch is compacted: one copy of the cache per compaction
 * instead of one per finished row. The growing cache (the baseline) compacts at once, as it copies
 * the cache every step anyway.
 *
 * <p>Memory: every step runs in its own sub-manager and {@link NDScope}, both closed before the
 * next step (the scope also frees temporaries that ops on cached arrays create in the cache's
 * manager); only the cache's and the sampler's arrays (unregistered from the scope, replaced in
 * place) and the Java-side rows outlive a step. No autograd graph is recorded ({@link NoGrad}).
 */
final class BatchDecoder {
  /**
   * Sees each step's logits before sampling (tests compare cached and recomputed decoding with it).
   */
  interface StepObserver {
    /**
     * Sees one step's logits.
     *
     * @param step 0 for the prompt pass, then one per generated token
     * @param rows the batch's rows in logits order; null where a row has finished
     * @param logits (B, V) float32
     * @param callManager the manager that owns everything this decode allocates
     */
    void onLogits(int step, List<SampleRow> rows, NDArray logits, NDManager callManager);

    /** Sees the size of each sub-batch's prompt pass: {@code prompts} rows for {@code rows}. */
    default void onPromptPass(int prompts, int rows) {}
  }

  /**
   * Compact once 1/COMPACT_AT of the batch has finished. A compaction copies the whole cache: 0.34
   * s of CPU for 88 → 66 rows of a gpt2-124m cache of 128 slots, about one decoding step at that
   * batch, so compacting at every finished row (up to K × prompts times per batch) would cost more
   * than the finished rows' wasted work, bounded here by a quarter of a step per step.
   */
  private static final int COMPACT_AT = 4;

  private final CausalLM model;
  private final SamplingConfig config;
  private final int[] eosIds;
  private final Generator.Mode mode;
  private final StepObserver observer;
  private final boolean onEngine;
  private final TokenSampler javaSampler;

  BatchDecoder(
      CausalLM model,
      SamplingConfig config,
      int[] eosIds,
      Generator.Mode mode,
      StepObserver observer) {
    this.model = model;
    this.config = config;
    this.eosIds = eosIds;
    this.mode = mode;
    this.observer = observer;
    int vocab = model.config().vocabSize();
    this.onEngine = mode.engineSampler(vocab);
    this.javaSampler = onEngine ? null : new TokenSampler(config, eosIds, vocab);
  }

  /**
   * Runs {@code rows} (the rows of one prompt consecutive) to completion; each row holds its tokens
   * and log-prob afterwards.
   */
  void run(List<SampleRow> rows) {
    int lmax = 0;
    int steps = 0;
    for (SampleRow r : rows) {
      lmax = Math.max(lmax, r.prompt.length);
      steps = Math.max(steps, r.limit);
    }
    try (NoGrad g = NoGrad.open();
        NDManager call = model.manager().newSubManager();
        KvCache cache = newCache(call, lmax + steps);
        EngineSampler engine =
            onEngine
                ? new EngineSampler(config, eosIds, model.config().vocabSize(), call, rows)
                : null) {
      List<SampleRow> batch = new ArrayList<>(rows); // finished rows stay until a compaction
      for (int n = 0; ; n++) {
        try (NDManager step = call.newSubManager();
            NDScope scope = new NDScope()) {
          NDArray logits =
              n == 0 ? prefill(step, batch, lmax, cache) : next(step, batch, lmax, n, cache);
          if (observer != null) {
            List<SampleRow> running = new ArrayList<>(batch);
            running.replaceAll(r -> r.finished() ? null : r);
            observer.onLogits(n, running, logits, call);
          }
          int live =
              engine != null ? drawOnEngine(engine, logits, batch, n) : drawInJava(logits, batch);
          if (live == 0) {
            return;
          }
          int done = batch.size() - live;
          boolean eager = cache == null || !mode.preallocatedCache();
          if (done > 0 && (eager || done * COMPACT_AT >= batch.size())) {
            batch = compact(batch, cache, engine);
          }
        }
      }
    }
  }

  /** The cache of {@code slots} key slots per row, as the mode wants it; null without a cache. */
  private KvCache newCache(NDManager call, int slots) {
    int layers = model.config().numLayers();
    if (!mode.cache()) {
      return null;
    }
    return mode.preallocatedCache()
        ? KvCache.preallocated(call, layers, slots)
        : new KvCache(call, layers);
  }

  /** Draws with {@link TokenSampler} from a copy of all logits; returns how many rows go on. */
  private int drawInJava(NDArray logits, List<SampleRow> batch) {
    int vocab = model.config().vocabSize();
    float[] flat = logits.toFloatArray(); // (B, V): the whole vocabulary crosses to Java
    int live = 0;
    for (int i = 0; i < batch.size(); i++) {
      SampleRow r = batch.get(i);
      if (!r.finished()) {
        TokenSampler.Draw d = javaSampler.draw(flat, i * vocab, r.seen, r.count(), r.rng);
        live += r.accept(d.token(), d.logp(), isEos(d.token())) ? 0 : 1;
      }
    }
    return live;
  }

  /**
   * Draws on the engine with one uniform per running row from the row's stream; returns how many
   * rows go on.
   */
  private int drawOnEngine(EngineSampler engine, NDArray logits, List<SampleRow> batch, int n) {
    double[] u = new double[batch.size()];
    int running = 0;
    for (int i = 0; i < batch.size(); i++) {
      if (!batch.get(i).finished()) {
        u[i] = batch.get(i).rng.nextDouble(); // exactly one per row and step, greedy included
        running++;
      }
    }
    EngineSampler.Draws d = engine.draw(logits, u, n); // every running row has generated n
    long[] rows = new long[running];
    long[] tokens = new long[running];
    int live = 0;
    int k = 0;
    for (int i = 0; i < batch.size(); i++) {
      SampleRow r = batch.get(i);
      if (!r.finished()) {
        int t = Math.toIntExact(d.tokens()[i]);
        rows[k] = i;
        tokens[k++] = t;
        live += r.accept(t, d.logps()[i], isEos(t)) ? 0 : 1;
      }
    }
    engine.markSeen(rows, tokens);
    return live;
  }

  /** The running rows only; the cache and the sampler's state follow. */
  private static List<SampleRow> compact(
      List<SampleRow> batch, KvCache cache, EngineSampler engine) {
    List<SampleRow> next = new ArrayList<>(batch.size());
    long[] keep = new long[batch.size()];
    for (int i = 0; i < batch.size(); i++) {
      if (!batch.get(i).finished()) {
        keep[next.size()] = i;
        next.add(batch.get(i));
      }
    }
    keep = java.util.Arrays.copyOf(keep, next.size());
    if (cache != null) {
      cache.selectRows(keep);
    }
    if (engine != null) {
      engine.selectRows(keep);
    }
    return next;
  }

  private boolean isEos(int token) {
    for (int e : eosIds) {
      if (e == token) {
        return true;
      }
    }
    return false;
  }

  /**
   * The prompt pass: one row per distinct prompt (per row without the shared prefill), its cache
   * and last logits then copied to the prompt's rows. Returns (B, V).
   */
  private NDArray prefill(NDManager m, List<SampleRow> rows, int lmax, KvCache cache) {
    List<SampleRow> prompts = new ArrayList<>();
    long[] source = new long[rows.size()]; // row → its prompt's pass row
    for (int i = 0; i < rows.size(); i++) {
      SampleRow r = rows.get(i);
      boolean same = mode.sharedPrefill() && i > 0 && rows.get(i - 1).request == r.request;
      if (!same) {
        prompts.add(r);
      }
      source[i] = prompts.size() - 1L;
    }
    if (observer != null) {
      observer.onPromptPass(prompts.size(), rows.size());
    }
    NDArray logits = forward(m, prompts, lmax, lmax, lmax, cache); // (P, V)
    if (prompts.size() == rows.size()) {
      return logits;
    }
    if (cache != null) {
      cache.selectRows(source);
    }
    return logits.get(m.create(source)); // (B, V)
  }

  /** One decoding step: each row's newest token against the cache, or the whole sequence again. */
  private NDArray next(NDManager m, List<SampleRow> batch, int lmax, int n, KvCache cache) {
    int width = lmax + n; // key slots after this pass: prompt slots + n generated tokens
    return forward(m, batch, lmax, width, cache != null ? 1 : width, cache);
  }

  /**
   * One forward pass over the last {@code queryLen} of {@code width} slots of the left-padded rows;
   * returns the last slot's logits (B', V).
   */
  private NDArray forward(
      NDManager m, List<SampleRow> rows, int lmax, int width, int queryLen, KvCache cache) {
    int b = rows.size();
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
        int j = width - queryLen + q - pad; // index among the row's real tokens
        ids[i * queryLen + q] = j >= 0 ? r.tokenAt(j) : 0;
        pos[i * queryLen + q] = Math.max(r.positionOf(j), 0);
      }
    }
    Shape s = new Shape(b, queryLen);
    AttentionMask mask = AttentionMask.of(m, valid, queryLen, model.config());
    NDArray hidden = model.hidden(m.create(ids, s), m.create(pos, s), mask, cache); // (B', T, E)
    NDArray last = queryLen == 1 ? hidden : hidden.get(":, -1:, :"); // (B', 1, E)
    NDArray logits = model.logits(last).reshape(b, -1); // (B', V)
    return logits.getDataType() == DataType.FLOAT32
        ? logits
        : logits.toType(DataType.FLOAT32, false);
  }
}
