package dev.d2o.cli;

import dev.d2o.datagen.DataFiles;
import dev.d2o.datagen.HarmlessData;
import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.ParaphrasedPrompts;
import dev.d2o.datagen.TopicBook;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o make-paraphrased}: writes the paraphrased held-out set, {@code
 * OUT/harmless/eval-paraphrased.jsonl}: the hand-written prompts of {@link ParaphrasedPrompts},
 * each with a helpful and a harmful response drawn by the generator; deterministic for a seed.
 */
@Command(
    name = "make-paraphrased",
    mixinStandardHelpOptions = true,
    description =
        "Writes harmless/eval-paraphrased.jsonl: hand-written held-out prompts in phrasings the"
            + " generator's templates never write, with generated helpful and harmful responses.")
public final class MakeParaphrasedCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "Output folder, e.g. data-samples.")
  Path out;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Random seed of the responses (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    List<PromptRow> rows = ParaphrasedPrompts.rows(TopicBook.builtIn(), seed);
    Path file = out.resolve("harmless").resolve("eval-paraphrased.jsonl");
    DataFiles.writeJsonl(HarmlessData.promptTable("eval-paraphrased", rows), file);
    System.out.printf("wrote %d paraphrased held-out prompts -> %s%n", rows.size(), file);
    return 0;
  }
}
