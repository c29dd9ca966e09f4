package dev.d2o.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.error.InputException;
import dev.d2o.infer.GenerationRequest;
import dev.d2o.infer.GenerationResult;
import dev.d2o.infer.Generator;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.infer.TextPairs;
import dev.d2o.model.Pretrained;
import dev.d2o.model.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o generate}: K sampled continuations per prompt, reproducible per (seed, id, sample
 * index).
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description = {
      "Samples continuations of prompts from a model in the Hugging Face layout, with a key/value cache.",
      "Input lines: {\"id\":..,\"prompt\":\"..\"} or {\"id\":..,\"prompt_ids\":[..]}; 'id' is required and unique:"
          + " sample j of example id depends only on (seed, id, j) and the weights.",
      "Output lines repeat the input and add \"sample_ids\" (K lists of generated ids, without the prompt, ending with"
          + " EOS when EOS was generated), \"sample_logps\" (their log-probs under the sampling distribution) and,"
          + " when the model directory has a tokenizer.json, \"samples\" (the K decoded texts)."
    })
public final class GenerateCommand implements Callable<Integer> {
  @Option(
      names = "--model",
      required = true,
      description = "Model directory (config.json, model.safetensors, optional tokenizer.json).")
  Path model;

  @Option(names = "--input", required = true, description = "Input JSONL file.")
  Path input;

  @Option(
      names = "--output",
      required = true,
      description = "Output JSONL file (written atomically).")
  Path output;

  @Option(names = "--num-samples", required = true, description = "Samples per prompt (K).")
  int numSamples;

  @Option(
      names = "--temperature",
      defaultValue = "1.0",
      description = "0 = greedy (default: ${DEFAULT-VALUE}).")
  double temperature;

  @Option(
      names = "--top-p",
      defaultValue = "1.0",
      description = "Nucleus mass in (0, 1]; 1 = off (default: ${DEFAULT-VALUE}).")
  double topP;

  @Option(
      names = "--top-k",
      defaultValue = "0",
      description = "Keep the k most likely tokens; 0 = off (default: ${DEFAULT-VALUE}).")
  int topK;

  @Option(
      names = "--max-new-tokens",
      defaultValue = "64",
      description = "Most tokens per sample, EOS included (default: ${DEFAULT-VALUE}).")
  int maxNewTokens;

  @Option(
      names = "--min-new-tokens",
      defaultValue = "0",
      description = "EOS is banned before this many tokens (default: ${DEFAULT-VALUE}).")
  int minNewTokens;

  @Option(
      names = "--repetition-penalty",
      defaultValue = "1.0",
      description = "CTRL repetition penalty; 1 = off (default: ${DEFAULT-VALUE}).")
  double repetitionPenalty;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Run seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--batch-size",
      defaultValue = "8",
      description = "Rows (prompt × sample) decoded together (default: ${DEFAULT-VALUE}).")
  int batchSize;

  @Option(
      names = "--token-budget",
      defaultValue = "16384",
      description =
          "Most rows × (prompt + max-new-tokens)"
              + " decoded together; bounds memory (default: ${DEFAULT-VALUE}).")
  int tokenBudget;

  @Override
  public Integer call() {
    if (numSamples < 1) {
      throw new InputException("--num-samples must be ≥ 1, got " + numSamples);
    }
    if (batchSize < 1) {
      throw new InputException("--batch-size must be ≥ 1, got " + batchSize);
    }
    if (tokenBudget < 1) {
      throw new InputException("--token-budget must be ≥ 1, got " + tokenBudget);
    }
    SamplingConfig cfg =
        new SamplingConfig(
            temperature, topP, topK, maxNewTokens, minNewTokens, repetitionPenalty, seed);
    List<Jsonl.Line> lines = Jsonl.read(input);
    List<String> ids = exampleIds(lines);
    long start = System.nanoTime();
    try (NDManager manager = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(model, manager)) {
      TextTokenizer tok =
          Files.isRegularFile(model.resolve("tokenizer.json")) ? p.tokenizer() : null;
      List<GenerationRequest> requests = new ArrayList<>(lines.size());
      for (int i = 0; i < lines.size(); i++) {
        requests.add(new GenerationRequest(ids.get(i), promptIds(lines.get(i), p)));
      }
      List<GenerationResult> results =
          new Generator(p.model(), tok, batchSize, tokenBudget).generate(requests, numSamples, cfg);
      List<ObjectNode> out = new ArrayList<>(lines.size());
      long tokens = 0;
      for (int i = 0; i < lines.size(); i++) {
        out.add(row(lines.get(i), results.get(i), tok != null));
        tokens += results.get(i).samples().stream().mapToInt(s -> s.tokenIds().length).sum();
      }
      Jsonl.writeAtomically(output, out);
      double secs = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          "generated %d samples for %d prompts (%d tokens, %.1f tokens/s) in %.1f s -> %s%n",
          numSamples * out.size(), out.size(), tokens, tokens / secs, secs, output);
    }
    return 0;
  }

  /** Each line's id as text; required, a string or an integer, unique in the file. */
  private List<String> exampleIds(List<Jsonl.Line> lines) {
    Map<String, Integer> seen = new HashMap<>();
    List<String> out = new ArrayList<>(lines.size());
    for (Jsonl.Line line : lines) {
      JsonNode id = line.node().get("id");
      if (id == null || id.isNull()) {
        throw new InputException(
            input
                + " line "
                + line.number()
                + ": missing field 'id' (each example needs an"
                + " id: sample j of an example is seeded by (seed, id, j)); found fields "
                + LogprobsCommand.fieldNames(line.node()));
      }
      if (!id.isTextual() && !id.isIntegralNumber()) {
        throw new InputException(
            input
                + " line "
                + line.number()
                + ": field 'id' must be a string or an integer, found "
                + id);
      }
      Integer first = seen.putIfAbsent(id.asText(), line.number());
      if (first != null) {
        throw new InputException(
            input
                + " line "
                + line.number()
                + ": duplicate id "
                + id
                + " (first on line "
                + first
                + "); ids must be unique, as they seed the samples");
      }
      out.add(id.asText());
    }
    return out;
  }

  private int[] promptIds(Jsonl.Line line, Pretrained p) {
    String label = Jsonl.label(line);
    int[] ids = Jsonl.ids(line, "prompt_ids", input);
    if (ids != null) {
      if (ids.length == 0) {
        throw new InputException(
            input
                + " "
                + label
                + ": empty 'prompt_ids': generation needs at least one prompt token");
      }
      return ids;
    }
    String prompt = Jsonl.text(line, "prompt", input);
    if (prompt == null) {
      throw new InputException(
          input
              + " "
              + label
              + ": expected a 'prompt' string or a 'prompt_ids' list; found fields "
              + LogprobsCommand.fieldNames(line.node()));
    }
    ids = TextPairs.promptIds(p.tokenizer(), prompt);
    if (ids.length == 0) {
      throw new InputException(
          input
              + " "
              + label
              + ": empty prompt: \""
              + prompt
              + "\" has no tokens and the"
              + " model adds no BOS; generation needs at least one prompt token");
    }
    return ids;
  }

  private static ObjectNode row(Jsonl.Line line, GenerationResult r, boolean withText) {
    ObjectNode row = line.node().deepCopy();
    ArrayNode texts = withText ? row.putArray("samples") : null;
    ArrayNode idLists = row.putArray("sample_ids");
    ArrayNode logps = row.putArray("sample_logps");
    for (GenerationResult.Sample s : r.samples()) {
      if (texts != null) {
        texts.add(s.text());
      }
      ArrayNode ids = idLists.addArray();
      for (int t : s.tokenIds()) {
        ids.add(t);
      }
      logps.add(s.logp());
    }
    return row;
  }
}
