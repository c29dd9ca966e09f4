package dev.d2o.datagen;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.HarmlessData.SftRow;
import dev.d2o.model.ByteLevelBpe;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The tokenizer of the demo models: GPT-2-style byte-level BPE ({@link ByteLevelBpe}) learned from
 * the SFT and D2O training texts, with {@code <|endoftext|>} (end of sequence) and {@code <s>}
 * (beginning of sequence) after the merges. Written as {@code tokenizer.json} plus a {@code
 * tokenizer_config.json} that names the two special tokens.
 */
public final class CorpusTokenizer {
  /** Special tokens, in id order after the byte and merge tokens. */
  public static final List<String> SPECIALS = List.of("<|endoftext|>", "<s>");

  /**
   * What was written.
   *
   * @param vocabSize 256 bytes + merges + special tokens
   * @param bytesPerToken UTF-8 bytes per token over the SFT corpus (prompt and response), encoded
   *     by the Hugging Face tokenizers library from the written file
   */
  public record Stats(int vocabSize, double bytesPerToken) {}

  private CorpusTokenizer() {}

  /**
   * The training corpus: SFT prompts and responses, then D2O training prompts, helpful and harmful
   * responses.
   */
  public static List<String> corpus(HarmlessData data) {
    List<String> texts = new ArrayList<>();
    for (SftRow r : data.sft()) {
      texts.add(r.prompt());
      texts.add(r.response());
    }
    for (PromptRow r : data.train()) {
      texts.add(r.prompt());
      texts.add(r.helpful());
      texts.add(r.negative());
    }
    return texts;
  }

  /**
   * Learns {@code merges} merges, writes {@code dir/tokenizer.json} and {@code
   * dir/tokenizer_config.json}.
   */
  public static Stats build(HarmlessData data, int merges, Path dir) {
    ByteLevelBpe bpe = ByteLevelBpe.train(corpus(data), merges, SPECIALS);
    try {
      Files.createDirectories(dir);
      bpe.write(dir.resolve("tokenizer.json"));
      ObjectNode config = DataFiles.JSON.createObjectNode();
      config.put("tokenizer_class", "GPT2Tokenizer");
      config.put("bos_token", SPECIALS.get(1));
      config.put("eos_token", SPECIALS.get(0));
      config.put("add_bos_token", false);
      DataFiles.JSON
          .writerWithDefaultPrettyPrinter()
          .writeValue(dir.resolve("tokenizer_config.json").toFile(), config);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write tokenizer to " + dir + ": " + e.getMessage(), e);
    }
    List<String> sft = new ArrayList<>();
    data.sft().forEach(r -> sft.add(r.prompt() + " " + r.response()));
    return new Stats(bpe.vocabSize(), bytesPerToken(dir.resolve("tokenizer.json"), sft));
  }

  /** UTF-8 bytes per token of {@code texts} under the tokenizer file (no special tokens added). */
  public static double bytesPerToken(Path tokenizerJson, List<String> texts) {
    try (HuggingFaceTokenizer tok =
        HuggingFaceTokenizer.newInstance(
            tokenizerJson,
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
      long bytes = 0;
      long tokens = 0;
      for (String t : texts) {
        bytes += t.getBytes(StandardCharsets.UTF_8).length;
        tokens += tok.encode(t, false, false).getIds().length;
      }
      return (double) bytes / tokens;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load " + tokenizerJson + ": " + e.getMessage(), e);
    }
  }
}
