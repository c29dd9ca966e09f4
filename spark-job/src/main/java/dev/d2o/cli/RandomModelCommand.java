package dev.d2o.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.model.ByteLevelBpe;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.ModelFamilies;
import dev.d2o.model.ModelFamily;
import dev.d2o.model.ModelFamily.Size;
import dev.d2o.model.Pretrained;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o random-model}: writes a randomly initialised model with a byte-level tokenizer in the
 * Hugging Face layout, for smoke tests and benchmarks where no pretrained weights can be
 * downloaded.
 */
@Command(
    name = "random-model",
    mixinStandardHelpOptions = true,
    description =
        "Writes a random-weight model (byte-level tokenizer, vocabulary 258) in the Hugging Face layout.")
public final class RandomModelCommand implements Callable<Integer> {
  @Option(
      names = "--type",
      defaultValue = "llama",
      completionCandidates = Types.class,
      description = "Model family: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  String type;

  @Option(names = "--out", required = true, description = "Output model directory.")
  Path out;

  @Option(
      names = "--hidden",
      defaultValue = "64",
      description = "Width (default: ${DEFAULT-VALUE}).")
  int hidden;

  @Option(
      names = "--layers",
      defaultValue = "2",
      description = "Blocks (default: ${DEFAULT-VALUE}).")
  int layers;

  @Option(
      names = "--heads",
      defaultValue = "4",
      description = "Attention heads (default: ${DEFAULT-VALUE}).")
  int heads;

  @Option(
      names = "--context",
      defaultValue = "256",
      description = "Positions (default: ${DEFAULT-VALUE}).")
  int context;

  @Option(
      names = "--seed",
      defaultValue = "0",
      description = "Initialisation seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(
      names = "--tokenizer",
      description =
          "Directory with tokenizer.json and tokenizer_config.json to use"
              + " instead of the byte-level one (sets the vocabulary size and the special tokens).")
  Path tokenizer;

  /** The {@code --type} values: every registered family. */
  public static final class Types implements Iterable<String> {
    @Override
    public Iterator<String> iterator() {
      return ModelFamilies.types().iterator();
    }
  }

  static final int EOS = 256;
  static final int BOS = 257;

  @Override
  public Integer call() throws Exception {
    int vocab = 258;
    int bos = BOS;
    int eos = EOS;
    if (tokenizer != null) {
      JsonNode tok = Jsonl.JSON.readTree(tokenizer.resolve("tokenizer.json").toFile());
      vocab = 0;
      for (var v : tok.path("model").path("vocab")) {
        vocab = Math.max(vocab, v.asInt() + 1);
      }
      for (var t : tok.path("added_tokens")) {
        vocab = Math.max(vocab, t.path("id").asInt() + 1);
        if (t.path("content").asText().equals("<s>")) {
          bos = t.path("id").asInt();
        } else if (t.path("content").asText().equals("<|endoftext|>")) {
          eos = t.path("id").asInt();
        }
      }
    }
    // the family writes its own keys (MLP width, key/value heads, windows, ...) around the size
    ModelFamily family = ModelFamilies.get(type);
    ObjectNode json = family.smallConfig(Size.of(hidden, layers, heads, context), vocab, bos, eos);
    ModelConfig config = ModelConfig.fromJson(json, "--type " + type);
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = CausalLM.random(config, seed, m)) {
      Pretrained.save(model, out, null);
    }
    if (tokenizer == null) {
      ByteLevelBpe.bytesOnly(List.of("<|endoftext|>", "<s>")).write(out.resolve("tokenizer.json"));
    } else {
      for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
        if (Files.isRegularFile(tokenizer.resolve(f))) {
          Files.copy(tokenizer.resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    System.out.printf(
        "wrote a random %s model (%,d parameters) to %s%n", type, config.parameterCount(), out);
    return 0;
  }
}
