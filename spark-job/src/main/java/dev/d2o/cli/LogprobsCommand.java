package dev.d2o.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.error.InputException;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.ScoreResult;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.infer.TextPairs;
import dev.d2o.model.Pretrained;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o logprobs}: sequence log-probs of responses given prompts, one JSON line per input
 * line.
 */
@Command(
    name = "logprobs",
    mixinStandardHelpOptions = true,
    description = {
      "Scores log p(response | prompt) under a model in the Hugging Face layout.",
      "Input lines: {\"id\":..,\"prompt\":\"..\",\"response\":\"..\"} or {\"id\":..,\"prompt_ids\":[..],"
          + "\"response_ids\":[..]}.",
      "Output lines repeat the input and add \"logp\", \"tokens\" and \"token_logps\"."
    })
public final class LogprobsCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      description = "Model directory (config.json, model.safetensors, tokenizer.json).")
  Path model;

  @Option(names = "--input", required = true, description = "Input JSONL file.")
  Path input;

  @Option(
      names = "--output",
      required = true,
      description = "Output JSONL file (written atomically).")
  Path output;

  @Option(
      names = "--batch-size",
      defaultValue = "8",
      description = "Sequences per forward pass (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--length-policy",
      defaultValue = "fail",
      description =
          "Sequences longer than the context: fail"
              + " or truncate-prompt-left (default: ${DEFAULT-VALUE}).")
  String lengthPolicy;

  @Option(names = "--no-eos", description = "Do not append EOS to text responses.")
  boolean noEos;

  @Override
  public Integer call() {
    if (batchSize < 1) {
      throw new InputException("--batch-size must be ≥ 1, got " + batchSize);
    }
    LengthPolicy policy = LengthPolicy.parse(lengthPolicy);
    List<Jsonl.Line> lines = Jsonl.read(input);
    long start = System.nanoTime();
    try (NDManager manager = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(model, manager)) {
      List<ScoreRequest> requests = new ArrayList<>(lines.size());
      for (Jsonl.Line line : lines) {
        requests.add(request(line, p, input, !noEos));
      }
      List<ScoreResult> results = new SequenceScorer(p.model(), batchSize, policy).score(requests);
      List<ObjectNode> out = new ArrayList<>(lines.size());
      long tokens = 0;
      for (int i = 0; i < lines.size(); i++) {
        ObjectNode row = lines.get(i).node().deepCopy();
        ScoreResult r = results.get(i);
        row.put("logp", r.logp());
        row.put("tokens", r.tokens());
        ArrayNode tl = row.putArray("token_logps");
        for (float f : r.tokenLogps()) {
          tl.add((double) f);
        }
        out.add(row);
        tokens += requests.get(i).length();
      }
      Jsonl.writeAtomically(output, out);
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "scored %d rows (%d tokens) in %.1f s -> %s%n", out.size(), tokens, secs, output);
    }
    return 0;
  }

  /**
   * The scoring request of one input line of {@code input}; fails naming the line when its fields
   * are wrong.
   */
  static ScoreRequest request(Jsonl.Line line, Pretrained p, Path input, boolean eos) {
    String label = Jsonl.label(line);
    int[] promptIds = Jsonl.ids(line, "prompt_ids", input);
    int[] responseIds = Jsonl.ids(line, "response_ids", input);
    if (promptIds != null || responseIds != null) {
      if (promptIds == null || responseIds == null) {
        throw new InputException(
            input + " " + label + ": token-id input needs both 'prompt_ids' and 'response_ids'");
      }
      return new ScoreRequest(label, promptIds, responseIds);
    }
    String prompt = Jsonl.text(line, "prompt", input);
    String response = Jsonl.text(line, "response", input);
    if (prompt == null || response == null) {
      throw new InputException(
          input
              + " "
              + label
              + ": expected 'prompt' and 'response' strings or"
              + " 'prompt_ids' and 'response_ids' lists; found fields "
              + fieldNames(line.node()));
    }
    return TextPairs.encode(p.tokenizer(), label, prompt, response, eos);
  }

  static List<String> fieldNames(ObjectNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }
}
