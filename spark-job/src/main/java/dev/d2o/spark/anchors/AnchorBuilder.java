package dev.d2o.spark.anchors;

import dev.d2o.chat.Message;
import dev.d2o.chat.PromptRenderer;
import dev.d2o.infer.GenerationRequest;
import dev.d2o.infer.GenerationResult;
import dev.d2o.infer.Generator;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.ScoreResult;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelException;
import dev.d2o.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds anchor rows for a batch of (id, prompt, negative): samples K anchors per prompt from the
 * sampling model (with the optional instruction prefix), then scores anchors and negative under the
 * reference with the plain prompt. Prompts are rendered by the run's {@link PromptRenderer} (a chat
 * template, or the raw text): sampling stops at EOS or at the template's end-of-turn token, and the
 * negative is closed by the end-of-turn ids as an assistant turn is. Sample j of row {@code id}
 * depends only on (seed, id, j) and the weights, so retries and repartitioning reproduce it.
 */
public final class AnchorBuilder {
  /**
   * Input of one row.
   *
   * @param conversation the row's multi-turn prompt, or null: {@code prompt} is one user turn
   */
  public record Input(String id, String prompt, String negative, List<Message> conversation) {
    /** A row with a plain prompt. */
    public Input(String id, String prompt, String negative) {
      this(id, prompt, negative, null);
    }
  }

  private final CausalLM sampler;
  private final CausalLM reference;
  private final TextTokenizer tokenizer;
  private final PromptRenderer renderer;
  private final SamplingConfig sampling;
  private final int numSamples;
  private final String prefix;
  private final LengthPolicy lengthPolicy;
  private final int batchSize;
  private double generateSeconds;
  private double scoreSeconds;

  public AnchorBuilder(
      CausalLM sampler,
      CausalLM reference,
      TextTokenizer tokenizer,
      PromptRenderer renderer,
      SamplingConfig sampling,
      int numSamples,
      String prefix,
      LengthPolicy lengthPolicy,
      int batchSize) {
    this.sampler = sampler;
    this.reference = reference;
    this.tokenizer = tokenizer;
    this.renderer = renderer;
    this.sampling = sampling;
    this.numSamples = numSamples;
    this.prefix = prefix;
    this.lengthPolicy = lengthPolicy;
    this.batchSize = batchSize;
  }

  /** Anchor rows for {@code inputs}, in input order. */
  public List<AnchorRow> build(List<Input> inputs) {
    int context = reference.config().maxPositions();
    List<GenerationRequest> requests = new ArrayList<>();
    // tokenized once: a long prompt costs seconds to tokenize
    List<int[]> plainPrompts = new ArrayList<>();
    List<String> promptTexts = new ArrayList<>();
    for (Input in : inputs) {
      String row = "row id " + in.id();
      String text = renderer.renderRow(row, in.prompt(), in.conversation(), "");
      promptTexts.add(text);
      int[] plain = renderer.promptIds(tokenizer, text);
      plainPrompts.add(plain);
      int[] ids =
          prefix.isEmpty()
              ? plain
              : renderer.promptIds(
                  tokenizer, renderer.renderRow(row, in.prompt(), in.conversation(), prefix));
      // leave room to sample: keep the end of an over-long sampling prompt (truncate-prompt-left)
      int room = Math.min(sampling.maxNewTokens(), context - 1);
      if (ids.length >= context && lengthPolicy == LengthPolicy.FAIL) {
        throw new ModelException(
            "row id "
                + in.id()
                + ": prompt of "
                + ids.length
                + " tokens leaves no room in the model's context of "
                + context
                + " positions (data.lengthPolicy = fail; truncate-prompt-left keeps"
                + " the end of the prompt)");
      }
      if (ids.length > context - room && lengthPolicy == LengthPolicy.TRUNCATE_PROMPT_LEFT) {
        ids = Arrays.copyOfRange(ids, ids.length - (context - room), ids.length);
      }
      requests.add(new GenerationRequest(in.id(), ids));
    }
    long t0 = System.nanoTime();
    List<GenerationResult> generated =
        new Generator(sampler, tokenizer, batchSize, Generator.TOKEN_BUDGET_DEFAULT)
            .withStopIds(renderer.stopIds(tokenizer))
            .generate(requests, numSamples, sampling);
    generateSeconds += (System.nanoTime() - t0) / 1e9;
    List<ScoreRequest> scoring = new ArrayList<>();
    List<int[]> prompts = new ArrayList<>();
    List<int[]> negatives = new ArrayList<>();
    for (int i = 0; i < inputs.size(); i++) {
      Input in = inputs.get(i);
      int[] negative = renderer.responseIds(tokenizer, in.negative(), true);
      int longest = negative.length;
      for (GenerationResult.Sample s : generated.get(i).samples()) {
        longest = Math.max(longest, s.tokenIds().length);
      }
      int[] prompt = fitPrompt(in.id(), plainPrompts.get(i), longest, context);
      prompts.add(prompt);
      negatives.add(negative);
      scoring.add(new ScoreRequest("id " + in.id() + " negative", prompt, negative));
      for (GenerationResult.Sample s : generated.get(i).samples()) {
        scoring.add(new ScoreRequest("id " + in.id() + " anchor", prompt, s.tokenIds()));
      }
    }
    long t1 = System.nanoTime();
    List<ScoreResult> scores =
        new SequenceScorer(reference, batchSize, LengthPolicy.FAIL).score(scoring);
    scoreSeconds += (System.nanoTime() - t1) / 1e9;
    List<AnchorRow> out = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      Input in = inputs.get(i);
      int base = i * (numSamples + 1);
      List<GenerationResult.Sample> samples = generated.get(i).samples();
      int[][] anchorIds = new int[numSamples][];
      double[] refAnchors = new double[numSamples];
      List<String> texts = new ArrayList<>(numSamples);
      for (int j = 0; j < numSamples; j++) {
        anchorIds[j] = samples.get(j).tokenIds();
        texts.add(samples.get(j).text());
        refAnchors[j] = scores.get(base + 1 + j).logp();
      }
      out.add(
          new AnchorRow(
              in.id(),
              in.prompt(),
              in.negative(),
              promptTexts.get(i),
              in.conversation(),
              prompts.get(i),
              negatives.get(i),
              texts,
              anchorIds,
              refAnchors,
              scores.get(base).logp()));
    }
    return out;
  }

  /** Seconds this builder spent sampling anchors, over all its {@link #build} calls. */
  public double generateSeconds() {
    return generateSeconds;
  }

  /** Seconds this builder spent scoring anchors and negatives under the reference. */
  public double scoreSeconds() {
    return scoreSeconds;
  }

  /**
   * One prompt shared by all K+1 sequences of a row: cut from the left to fit the longest response,
   * or fail.
   */
  private int[] fitPrompt(String id, int[] prompt, int longestResponse, int context) {
    if (prompt.length + longestResponse <= context) {
      return prompt;
    }
    if (lengthPolicy == LengthPolicy.FAIL || longestResponse >= context) {
      throw new ModelException(
          "row id "
              + id
              + ": prompt of "
              + prompt.length
              + " tokens + response of "
              + longestResponse
              + " tokens exceeds the model's context of "
              + context
              + " positions (data.lengthPolicy = "
              + lengthPolicy.key()
              + ")");
    }
    int keep = context - longestResponse;
    return Arrays.copyOfRange(prompt, prompt.length - keep, prompt.length);
  }
}
