package dev.d2o.infer;

import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelException;
import dev.d2o.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Batched sampling generation with a key/value cache: K samples per prompt, each drawn with the
 * sample's own random stream ({@link SampleStream}), so sample j of example {@code id} depends only
 * on (seed, id, j, the weights) and not on how requests are batched.
 *
 * <p>Samples are grouped longest prompt first into sub-batches of at most {@code batchSize} rows
 * whose rows × (longest prompt + max_new_tokens) stays within {@code tokenBudget} (a single row may
 * exceed it): this bounds the cache and the activations of one decode. The K rows of a prompt sit
 * together in a sub-batch and share one prompt pass (the prompt's keys and values are copied to the
 * K rows); the cache is preallocated per sub-batch; tokens are drawn on the engine ({@link
 * EngineSampler}), so only the chosen ids and their log-probs come back to Java (vocabularies under
 * {@link Mode#ENGINE_VOCAB} tokens are drawn in Java, where that is cheaper). A sample stops at
 * EOS, at {@code max_new_tokens}, or when prompt + sample fill the model's context (so the pair can
 * still be scored).
 */
public final class Generator {
  /** Default bound on rows × (prompt + max_new_tokens) per sub-batch. */
  public static final int TOKEN_BUDGET_DEFAULT = 16_384;

  private final CausalLM model;
  private final TextTokenizer tokenizer;
  private final int batchSize;
  private final int tokenBudget;
  private final Mode mode;
  private final int[] stopIds;
  private BatchDecoder.StepObserver observer;

  /**
   * How sub-batches are decoded. Everything is on by default; {@link #BASELINE} is the decoder as
   * it was before issue 19, kept reachable for the benchmark's comparison and the tests.
   *
   * @param cache keep keys and values (otherwise recompute the whole sequence every step)
   * @param preallocatedCache write into a fixed buffer per sub-batch (otherwise concatenate, one
   *     copy of the cache per token), and compact finished rows lazily
   * @param sharedPrefill one prompt pass per prompt of a sub-batch (otherwise one per sample)
   * @param engineVocab draw on the engine ({@link EngineSampler}) for vocabularies of at least this
   *     many tokens, otherwise copy the logits to Java ({@link TokenSampler}); 0 = always on the
   *     engine, {@link Integer#MAX_VALUE} = never
   */
  record Mode(boolean cache, boolean preallocatedCache, boolean sharedPrefill, int engineVocab) {
    /**
     * Smallest vocabulary drawn on the engine by default. Below it, copying the logits and drawing
     * in Java costs less than the sampler's ~15 engine operations per step (measured on the bench's
     * tiny shape, V = 258: the engine draw made a step 25% slower at batch 1 and 16); above it the
     * copy and Java's {@code exp} loop grow with V while the engine's fixed cost does not (at batch
     * 16 they break even near V ≈ 700). The choice depends on the vocabulary only, never on the
     * batch, so a sample does not depend on how it is batched.
     */
    static final int ENGINE_VOCAB = 1024;

    /** Every improvement on. */
    static final Mode DEFAULT = new Mode(true, true, true, ENGINE_VOCAB);

    /** Each sample prefilled alone, a growing cache, sampling in Java. */
    static final Mode BASELINE = new Mode(true, false, false, Integer.MAX_VALUE);

    Mode withoutCache() {
      return new Mode(false, false, sharedPrefill, engineVocab);
    }

    /** Whether a model of vocabulary {@code vocab} draws on the engine. */
    boolean engineSampler(int vocab) {
      return vocab >= engineVocab;
    }
  }

  /**
   * @param tokenizer decodes the samples to text and contributes its EOS id; may be null (ids only)
   * @param batchSize most rows decoded together
   * @param tokenBudget most rows × (longest prompt + max_new_tokens) decoded together
   */
  public Generator(CausalLM model, TextTokenizer tokenizer, int batchSize, int tokenBudget) {
    this(model, tokenizer, batchSize, tokenBudget, Mode.DEFAULT, new int[0]);
  }

  private Generator(
      CausalLM model,
      TextTokenizer tokenizer,
      int batchSize,
      int tokenBudget,
      Mode mode,
      int[] stopIds) {
    if (batchSize < 1) {
      throw new ModelException("batch_size = " + batchSize + " is invalid: must be ≥ 1");
    }
    if (tokenBudget < 1) {
      throw new ModelException("token_budget = " + tokenBudget + " is invalid: must be ≥ 1");
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.batchSize = batchSize;
    this.tokenBudget = tokenBudget;
    this.mode = mode;
    this.stopIds = stopIds.clone();
  }

  /**
   * The generator the anchors stage uses: {@code promptsPerGroup} prompts of {@code
   * samplesPerPrompt} samples each decode together (within the default token budget), so each
   * prompt is read once for all its samples.
   */
  public static Generator forPromptGroups(
      CausalLM model, TextTokenizer tokenizer, int promptsPerGroup, int samplesPerPrompt) {
    int rows = Math.multiplyExact(promptsPerGroup, samplesPerPrompt);
    return new Generator(model, tokenizer, rows, TOKEN_BUDGET_DEFAULT);
  }

  /**
   * The same generator recomputing the whole sequence at every step (for tests and the benchmark
   * baseline).
   */
  public Generator withoutCache() {
    return withMode(mode.withoutCache());
  }

  /** The same generator decoding in another {@link Mode}. */
  Generator withMode(Mode m) {
    return new Generator(model, tokenizer, batchSize, tokenBudget, m, stopIds);
  }

  /**
   * The same generator, also ending a sample at any of {@code ids} (a chat template's end-of-turn
   * token, {@code dev.d2o.chat.PromptRenderer#stopIds}), which then ends the sample as EOS does.
   */
  public Generator withStopIds(int... ids) {
    return new Generator(model, tokenizer, batchSize, tokenBudget, mode, ids);
  }

  Generator observe(BatchDecoder.StepObserver o) {
    this.observer = o;
    return this;
  }

  /**
   * The token ids that end a sample: the config's {@code eos_token_id}s, the tokenizer's EOS and
   * the {@link #withStopIds} ids.
   */
  public int[] eosIds() {
    Set<Integer> ids = new LinkedHashSet<>(model.config().eosTokenIds());
    if (tokenizer != null && tokenizer.eosTokenId() >= 0) {
      ids.add(tokenizer.eosTokenId());
    }
    for (int id : stopIds) {
      ids.add(id);
    }
    return ids.stream()
        .mapToInt(Integer::intValue)
        .filter(i -> i < model.config().vocabSize())
        .toArray();
  }

  /** Draws {@code numSamples} samples for each request; results are in request order. */
  public List<GenerationResult> generate(
      List<GenerationRequest> requests, int numSamples, SamplingConfig config) {
    if (numSamples < 1) {
      throw new ModelException("num_samples = " + numSamples + " is invalid: must be ≥ 1");
    }
    List<SampleRow> rows = new ArrayList<>(requests.size() * numSamples);
    for (int i = 0; i < requests.size(); i++) {
      GenerationRequest req = requests.get(i);
      int limit = check(req, config);
      for (int j = 0; j < numSamples; j++) {
        rows.add(
            new SampleRow(
                i, j, req.promptIds(), SampleStream.of(config.seed(), req.id(), j), limit));
      }
    }
    // longest prompts first; the sort is stable: input order within a length, so the K rows of a
    // prompt stay together
    rows.sort(Comparator.comparingInt((SampleRow r) -> -r.prompt.length));
    int[] eos = eosIds();
    BatchDecoder decoder = new BatchDecoder(model, config, eos, mode, observer);
    for (List<SampleRow> chunk : chunks(rows, config.maxNewTokens())) {
      decoder.run(chunk);
    }
    return results(requests, numSamples, rows);
  }

  /** Validates one request; returns its sample-length limit. */
  private int check(GenerationRequest req, SamplingConfig config) {
    int[] p = req.promptIds();
    String label = "id " + req.id();
    if (p.length == 0) {
      throw new ModelException(
          label
              + ": empty prompt (no tokens): generation needs at least one prompt token;"
              + " give a prompt or a BOS token");
    }
    PaddedBatch.checkIds(label, "prompt", p, model.config().vocabSize());
    int ctx = model.config().maxPositions();
    if (p.length >= ctx) {
      throw new ModelException(
          label
              + ": prompt of "
              + p.length
              + " tokens leaves no room in the model's context of "
              + ctx
              + " positions");
    }
    return Math.min(config.maxNewTokens(), ctx - p.length);
  }

  /** Consecutive runs of rows within the row count and the token budget. */
  private List<List<SampleRow>> chunks(List<SampleRow> rows, int maxNew) {
    List<List<SampleRow>> out = new ArrayList<>();
    List<SampleRow> cur = new ArrayList<>();
    int longest = 0;
    for (SampleRow r : rows) {
      int l = Math.max(longest, r.prompt.length);
      boolean fits =
          cur.size() < batchSize && (long) (cur.size() + 1) * (l + maxNew) <= tokenBudget;
      if (!cur.isEmpty() && !fits) {
        out.add(cur);
        cur = new ArrayList<>();
        l = r.prompt.length;
      }
      cur.add(r);
      longest = l;
    }
    if (!cur.isEmpty()) {
      out.add(cur);
    }
    return out;
  }

  private List<GenerationResult> results(
      List<GenerationRequest> requests, int k, List<SampleRow> rows) {
    GenerationResult.Sample[][] byRequest = new GenerationResult.Sample[requests.size()][k];
    for (SampleRow r : rows) {
      int[] ids = r.tokens();
      String text = tokenizer == null ? null : tokenizer.decode(ids);
      byRequest[r.request][r.index] =
          new GenerationResult.Sample(ids, text, r.logp(), r.stoppedAtEos());
    }
    List<GenerationResult> out = new ArrayList<>(requests.size());
    for (int i = 0; i < requests.size(); i++) {
      out.add(new GenerationResult(requests.get(i).id(), List.of(byRequest[i])));
    }
    return out;
  }
}
