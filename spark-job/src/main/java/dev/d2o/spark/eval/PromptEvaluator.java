package dev.d2o.spark.eval;

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
import dev.d2o.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Evaluates a batch of held-out prompts on one executor: one response per prompt from the policy
 * and one from the reference (the same seed, so identical weights give identical responses), then
 * exact scores of the negative, the policy's response and the optional helpful response under both
 * models. Prompts and responses are tokenized with the reference's tokenizer: the policy is trained
 * from the reference and shares its vocabulary. Prompts are rendered by the run's {@link
 * PromptRenderer}; responses stop at EOS or the chat template's end-of-turn token, and the negative
 * and helpful responses are closed as an assistant turn is.
 */
public final class PromptEvaluator {
  /**
   * One held-out row.
   *
   * @param helpful a held-out helpful response, or null
   * @param conversation the multi-turn prompt, or null (the prompt is one user turn)
   */
  public record Input(
      String id, String prompt, String negative, String helpful, List<Message> conversation) {
    /** A row with a text prompt. */
    public Input(String id, String prompt, String negative, String helpful) {
      this(id, prompt, negative, helpful, null);
    }
  }

  private final CausalLM policy;
  private final CausalLM reference;
  private final TextTokenizer tokenizer;
  private final PromptRenderer renderer;
  private final SamplingConfig sampling;
  private final int batchSize;
  private final LengthPolicy lengthPolicy;

  public PromptEvaluator(
      CausalLM policy,
      CausalLM reference,
      TextTokenizer tokenizer,
      PromptRenderer renderer,
      SamplingConfig sampling,
      int batchSize,
      LengthPolicy lengthPolicy) {
    this.policy = policy;
    this.reference = reference;
    this.tokenizer = tokenizer;
    this.renderer = renderer;
    this.sampling = sampling;
    this.batchSize = batchSize;
    this.lengthPolicy = lengthPolicy;
  }

  /** The evaluation of {@code inputs}, in input order. */
  public List<EvalRow> evaluate(List<Input> inputs) {
    List<int[]> prompts = new ArrayList<>(inputs.size());
    List<GenerationRequest> requests = new ArrayList<>(inputs.size());
    for (Input in : inputs) {
      String text = renderer.renderRow("row id " + in.id(), in.prompt(), in.conversation(), "");
      int[] ids = renderer.promptIds(tokenizer, text);
      prompts.add(ids);
      requests.add(new GenerationRequest(in.id(), generationPrompt(ids)));
    }
    List<GenerationResult.Sample> fromPolicy = generate(policy, requests);
    List<GenerationResult.Sample> fromReference = generate(reference, requests);
    List<ScoreRequest> scoring = new ArrayList<>();
    // row i's scores start at first[i]: negative, policy response, then helpful when given
    int[] first = new int[inputs.size()];
    for (int i = 0; i < inputs.size(); i++) {
      Input in = inputs.get(i);
      int[] prompt = prompts.get(i);
      first[i] = scoring.size();
      scoring.add(
          new ScoreRequest(
              "id " + in.id() + " negative",
              prompt,
              renderer.responseIds(tokenizer, in.negative(), true)));
      scoring.add(
          new ScoreRequest(
              "id " + in.id() + " policy response", prompt, fromPolicy.get(i).tokenIds()));
      if (in.helpful() != null) {
        scoring.add(
            new ScoreRequest(
                "id " + in.id() + " helpful",
                prompt,
                renderer.responseIds(tokenizer, in.helpful(), true)));
      }
    }
    List<ScoreResult> underPolicy =
        new SequenceScorer(policy, batchSize, lengthPolicy).score(scoring);
    List<ScoreResult> underReference =
        new SequenceScorer(reference, batchSize, lengthPolicy).score(scoring);
    List<EvalRow> out = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      Input in = inputs.get(i);
      int f = first[i];
      boolean hasHelpful = in.helpful() != null;
      out.add(
          new EvalRow(
              in.id(),
              in.prompt(),
              fromPolicy.get(i).text(),
              fromReference.get(i).text(),
              units(fromPolicy.get(i)),
              units(fromReference.get(i)),
              underPolicy.get(f).logp(),
              underReference.get(f).logp(),
              underPolicy.get(f + 1).logp(),
              underReference.get(f + 1).logp(),
              hasHelpful ? underPolicy.get(f + 2).tokens() : 0,
              hasHelpful ? underPolicy.get(f + 2).logp() : 0,
              hasHelpful ? underReference.get(f + 2).logp() : 0));
    }
    return out;
  }

  private List<GenerationResult.Sample> generate(CausalLM model, List<GenerationRequest> requests) {
    List<GenerationResult> results =
        new Generator(model, tokenizer, batchSize, Generator.TOKEN_BUDGET_DEFAULT)
            .withStopIds(renderer.stopIds(tokenizer))
            .generate(requests, 1, sampling);
    return results.stream().map(g -> g.samples().get(0)).toList();
  }

  /**
   * Under truncate-prompt-left, keep the end of an over-long prompt so that there is room to
   * sample.
   */
  private int[] generationPrompt(int[] ids) {
    int context = reference.config().maxPositions();
    int room = Math.min(sampling.maxNewTokens(), context - 1);
    if (ids.length > context - room && lengthPolicy == LengthPolicy.TRUNCATE_PROMPT_LEFT) {
      return Arrays.copyOfRange(ids, ids.length - (context - room), ids.length);
    }
    return ids;
  }

  /** The response's tokens without a final EOS (or end of turn): the units distinct-n counts. */
  private static int[] units(GenerationResult.Sample s) {
    int[] ids = s.tokenIds();
    return s.stoppedAtEos() ? Arrays.copyOf(ids, ids.length - 1) : ids;
  }
}
