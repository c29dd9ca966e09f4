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
 * Batched sampling generation with a key/value cache: K samples per prompt, drawn in Java from each
 * row's float logits with the row's own random stream ({@link SampleStream}), so sample j of
 * example {@code id} depends only on (seed, id, j, the weights) and not on how requests are
 * batched.
 *
 * <p>Samples are grouped longest prompt first into sub-batches of at most {@code batchSize} rows
 * whose rows × (longest prompt + max_new_tokens) stays within {@code tokenBudget} (a single row may
 * exceed it): this bounds the cache and the activations of one decode. A sample stops at EOS, at
 * {@code max_new_tokens}, or when prompt + sample fill the model's context (so the pair can still
 * be scored).
 */
public final class Generator {
  /** Default bound on rows × (prompt + max_new_tokens) per sub-batch. */
  public static final int TOKEN_BUDGET_DEFAULT = 16_384;

  private final CausalLM model;
  private final TextTokenizer tokenizer;
  private final int batchSize;
  private final int tokenBudget;
  private final boolean useCache;
  private final int[] stopIds;
  private BatchDecoder.StepObserver observer;

  /**
   * @param tokenizer decodes the samples to text and contributes its EOS id; may be null (ids only)
   * @param batchSize most rows decoded together
   * @param tokenBudget most rows × (longest prompt + max_new_tokens) decoded together
   */
  public Generator(CausalLM model, TextTokenizer tokenizer, int batchSize, int tokenBudget) {
    this(model, tokenizer, batchSize, tokenBudget, true, new int[0]);
  }

  private Generator(
      CausalLM model,
      TextTokenizer tokenizer,
      int batchSize,
      int tokenBudget,
      boolean useCache,
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
    this.useCache = useCache;
    this.stopIds = stopIds.clone();
  }

  /**
   * The same generator recomputing the whole sequence at every step (for tests and the benchmark
   * baseline).
   */
  public Generator withoutCache() {
    return new Generator(model, tokenizer, batchSize, tokenBudget, false, stopIds);
  }

  /**
   * The same generator, also ending a sample at any of {@code ids} (a chat template's end-of-turn
   * token, {@code dev.d2o.chat.PromptRenderer#stopIds}), which then ends the sample as EOS does.
   */
  public Generator withStopIds(int... ids) {
    return new Generator(model, tokenizer, batchSize, tokenBudget, useCache, ids);
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
    // longest prompts first; the sort is stable: input order within a length
    rows.sort(Comparator.comparingInt((SampleRow r) -> -r.prompt.length));
    int[] eos = eosIds();
    BatchDecoder decoder =
        new BatchDecoder(
            model,
            new TokenSampler(config, eos, model.config().vocabSize()),
            eos,
            useCache,
            observer);
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
