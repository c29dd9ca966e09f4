package dev.d2o.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.datagen.CorpusTokenizer;
import dev.d2o.datagen.DataFiles;
import dev.d2o.datagen.HarmlessData;
import dev.d2o.datagen.HarmlessGenerator;
import dev.d2o.datagen.TopicBook;
import dev.d2o.datagen.WordCue;
import dev.d2o.error.InputException;
import dev.d2o.spark.cost.CostModelTraining;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o make-data}: generates the harmlessness data set ({@code OUT/harmless/}), learns its
 * tokenizer ({@code OUT/tokenizer/}) and trains the cost model ({@code OUT/cost-model/});
 * deterministic for a seed.
 */
@Command(
    name = "make-data",
    mixinStandardHelpOptions = true,
    description =
        "Generates the harmlessness data set, its BPE tokenizer and the cost model (deterministic).")
public final class MakeDataCommand implements Callable<Integer> {
  @Option(names = "--out", required = true, description = "Output folder, e.g. data-samples.")
  Path out;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--train",
      defaultValue = "3000",
      description = "Training prompts (default: ${DEFAULT-VALUE}).")
  int train;

  @Option(
      names = "--eval",
      defaultValue = "300",
      description = "Held-out prompts (default: ${DEFAULT-VALUE}).")
  int eval;

  @Option(
      names = "--merges",
      defaultValue = "800",
      description = "BPE merges (default: ${DEFAULT-VALUE}).")
  int merges;

  @Option(names = "--no-cost-model", description = "Skip training the cost model.")
  boolean noCostModel;

  @Override
  public Integer call() {
    HarmlessGenerator.Options defaults = HarmlessGenerator.Options.defaults(seed);
    HarmlessGenerator.Options o =
        new HarmlessGenerator.Options(
            seed, train, eval, Math.min(train, defaults.costTrain()), defaults.sftHarmfulShare());
    HarmlessData data;
    try {
      data = new HarmlessGenerator(TopicBook.builtIn()).generate(o);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new InputException(e.getMessage(), e);
    }
    Path dataDir = out.resolve("harmless");
    SparkSession spark = LocalSpark.session("d2o make-data");
    DataFiles.writeAll(spark, data, dataDir);
    List<WordCue.Labeled> texts =
        Stream.concat(data.costTrain().stream(), data.costTest().stream())
            .map(r -> new WordCue.Labeled(r.text(), r.label()))
            .toList();
    List<WordCue> cues = WordCue.ranking(texts, 0.01);
    writeStats(data, cues, dataDir.resolve("stats.json"));
    System.out.printf(
        "wrote %s: train %d, eval %d, sft %d (%.1f%% harmful), cost_train %d, cost_test %d%n",
        dataDir,
        data.train().size(),
        data.eval().size(),
        data.sft().size(),
        100 * data.sftHarmfulShare(),
        data.costTrain().size(),
        data.costTest().size());
    System.out.printf(
        "most class-predictive word: '%s' (precision %.3f in %d texts)%n",
        cues.get(0).word(), cues.get(0).precision(), cues.get(0).texts());

    CorpusTokenizer.Stats tok = CorpusTokenizer.build(data, merges, out.resolve("tokenizer"));
    ObjectNode ts =
        Jsonl.JSON
            .createObjectNode()
            .put("merges", merges)
            .put("vocab_size", tok.vocabSize())
            .put("bytes_per_token_sft", tok.bytesPerToken());
    Jsonl.writeAtomically(out.resolve("tokenizer").resolve("stats.json"), List.of(ts));
    System.out.printf(
        "wrote %s: vocabulary %d, %.2f bytes/token on the SFT corpus%n",
        out.resolve("tokenizer"), tok.vocabSize(), tok.bytesPerToken());

    if (!noCostModel) {
      CostModelTraining.Metrics m =
          CostModelTraining.run(spark, dataDir, out.resolve("cost-model"));
      System.out.printf(
          "wrote %s: held-out accuracy %.4f, on truncated responses %.4f (%d test rows)%n",
          out.resolve("cost-model"), m.accuracy(), m.truncatedAccuracy(), m.testRows());
    }
    return 0;
  }

  private static void writeStats(HarmlessData data, List<WordCue> cues, Path file) {
    ObjectNode s = Jsonl.JSON.createObjectNode();
    ObjectNode rows = s.putObject("rows");
    data.tables().forEach(t -> rows.put(t.name(), t.rows().size()));
    s.put("sft_harmful_share", data.sftHarmfulShare());
    s.put("top_words_min_share", 0.01);
    ArrayNode top = s.putArray("top_words");
    for (WordCue c : cues.subList(0, Math.min(5, cues.size()))) {
      top.addObject()
          .put("word", c.word())
          .put("label", c.label())
          .put("precision", c.precision())
          .put("texts", c.texts());
    }
    Jsonl.writeAtomically(file, List.of(s));
  }
}
