package dev.d2o.cli;

import dev.d2o.datagen.DataFiles;
import dev.d2o.datagen.HarmlessData;
import dev.d2o.datagen.HarmlessData.SftRow;
import dev.d2o.datagen.HarmlessGenerator;
import dev.d2o.datagen.HarmlessGenerator.TopicPrompt;
import dev.d2o.datagen.TopicBook;
import dev.d2o.datagen.TopicBook.Topic;
import dev.d2o.error.InputException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o make-sft}: a supervised fine-tuning corpus with several fresh responses per prompt,
 * drawn by the generator for the prompts of a file with a {@code topic} column (the demo's
 * reference model is trained on one made from {@code harmless/train.jsonl}).
 */
@Command(
    name = "make-sft",
    mixinStandardHelpOptions = true,
    description =
        "Writes an SFT corpus (id, category, prompt, response, label): for every prompt of --prompts"
            + " (JSONL with prompt and topic columns) --per-prompt fresh responses drawn by the data"
            + " generator, an exact share of them harmful; deterministic for a seed.")
public final class MakeSftCommand implements Callable<Integer> {
  @Option(
      names = "--prompts",
      required = true,
      description = "JSONL with prompt and topic, e.g. data-samples/harmless/train.jsonl.")
  Path prompts;

  @Option(names = "--out", required = true, description = "Output JSONL file.")
  Path out;

  @Option(
      names = "--per-prompt",
      defaultValue = "8",
      description = "Responses per prompt (default: ${DEFAULT-VALUE}).")
  int perPrompt;

  @Option(
      names = "--harmful-share",
      defaultValue = "0.45",
      description = "Exact share of harmful responses (default: ${DEFAULT-VALUE}).")
  double harmfulShare;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    if (perPrompt < 1) {
      throw new InputException("--per-prompt must be ≥ 1, got " + perPrompt);
    }
    if (!(harmfulShare >= 0 && harmfulShare <= 1)) {
      throw new InputException("--harmful-share must be in [0, 1], got " + harmfulShare);
    }
    TopicBook book = TopicBook.builtIn();
    Map<String, Topic> topics = new LinkedHashMap<>();
    book.categories().values().forEach(ts -> ts.forEach(t -> topics.put(t.name(), t)));
    List<TopicPrompt> list = new ArrayList<>();
    for (Jsonl.Line line : Jsonl.read(prompts)) {
      String prompt = Jsonl.text(line, "prompt", prompts);
      String name = Jsonl.text(line, "topic", prompts);
      if (prompt == null || name == null) {
        throw new InputException(
            prompts
                + " "
                + Jsonl.label(line)
                + ": needs string fields 'prompt' and 'topic'; found fields "
                + LogprobsCommand.fieldNames(line.node()));
      }
      Topic topic = topics.get(name);
      if (topic == null) {
        throw new InputException(
            prompts
                + " "
                + Jsonl.label(line)
                + ": unknown topic '"
                + name
                + "'; the topic book has "
                + topics.keySet());
      }
      list.add(new TopicPrompt(topic, prompt));
    }
    List<SftRow> rows =
        new HarmlessGenerator(book).sftCorpus("sft", list, perPrompt, harmfulShare, seed);
    DataFiles.writeJsonl(HarmlessData.sftTable("sft", rows), out);
    System.out.printf(
        "wrote %d SFT rows (%d prompts × %d responses, %d harmful) -> %s%n",
        rows.size(), list.size(), perPrompt, rows.stream().mapToInt(SftRow::label).sum(), out);
    return 0;
  }
}
