package dev.d2o.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.bench.BenchShape;
import dev.d2o.error.InputException;
import dev.d2o.model.ByteLevelBpe;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.ModelFamilies;
import dev.d2o.model.ModelFamily;
import dev.d2o.model.ModelFamily.Size;
import dev.d2o.model.RandomWeights;
import dev.d2o.model.SafeTensorsShards;
import dev.d2o.model.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o random-model}: writes a randomly initialised model with a byte-level tokenizer in the
 * Hugging Face layout, for smoke tests and benchmarks where no pretrained weights can be
 * downloaded. A named {@code --shape} writes a real model's shape (Llama 3) with a tokenizer of its
 * whole vocabulary; the weights stream to sharded safetensors tensor by tensor in {@code --dtype},
 * so a model larger than memory in F32 can be written.
 */
@Command(
    name = "random-model",
    mixinStandardHelpOptions = true,
    description =
        "Writes a random-weight model (byte-level tokenizer, vocabulary 258, or a named real shape)"
            + " in the Hugging Face layout.")
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
      names = "--shape",
      description =
          "A real model's shape instead of --hidden/--layers/--heads: llama3-1b (Llama-3.2-1B's"
              + " shape, untied head) or llama3-8b-embed (one Llama-3-8B block with its full"
              + " embedding and head); needs --type llama.")
  String shape;

  @Option(
      names = "--dtype",
      defaultValue = "float32",
      description = "Stored dtype: float32, float16 or bfloat16 (default: ${DEFAULT-VALUE}).")
  String dtype;

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
    WeightType stored = weightType();
    ModelConfig config;
    if (shape != null) {
      config = namedShape();
      Files.createDirectories(out);
      List<String> specials = llama3Specials();
      ByteLevelBpe.synthetic(config.vocabSize(), specials).write(out.resolve("tokenizer.json"));
    } else {
      // the family writes its own keys (MLP width, key/value heads, windows, ...) around the size
      ModelFamily family = ModelFamilies.get(type);
      ObjectNode json =
          family.smallConfig(Size.of(hidden, layers, heads, context), vocab, bos, eos);
      config = ModelConfig.fromJson(json, "--type " + type);
      Files.createDirectories(out);
    }
    RandomWeights.write(config, seed, stored, out, SafeTensorsShards.MAX_SHARD_BYTES);
    if (shape == null && tokenizer == null) {
      ByteLevelBpe.bytesOnly(List.of("<|endoftext|>", "<s>")).write(out.resolve("tokenizer.json"));
    } else if (tokenizer != null) {
      for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
        if (Files.isRegularFile(tokenizer.resolve(f))) {
          Files.copy(tokenizer.resolve(f), out.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    System.out.printf(
        "wrote a random %s model (%,d parameters, %s) to %s%n",
        type, config.parameterCount(), stored.torchName(), out);
    return 0;
  }

  private WeightType weightType() {
    return switch (dtype) {
      case "float32" -> WeightType.FLOAT32;
      case "float16" -> WeightType.FLOAT16;
      case "bfloat16" -> WeightType.BFLOAT16; // written by Java, never an engine array
      default ->
          throw new InputException(
              "--dtype " + dtype + ": allowed are float32, float16 and bfloat16");
    };
  }

  private ModelConfig namedShape() {
    if (!type.equals("llama")) {
      throw new InputException("--shape " + shape + " is a Llama shape: use --type llama");
    }
    if (!List.of("llama3-1b", "llama3-8b-embed").contains(shape)) {
      throw new InputException("--shape " + shape + ": allowed are llama3-1b and llama3-8b-embed");
    }
    return BenchShape.of(shape).config();
  }

  /**
   * Llama 3's special tokens from id 128000 on: begin and end of text, the chat headers and
   * end-of-turn, then reserved tokens up to the 256 Llama 3 has.
   */
  static List<String> llama3Specials() {
    List<String> out =
        new ArrayList<>(
            List.of(
                "<|begin_of_text|>",
                "<|end_of_text|>",
                "<|start_header_id|>",
                "<|end_header_id|>",
                "<|eot_id|>"));
    for (int i = 0; out.size() < BenchShape.LLAMA3_VOCAB - BenchShape.LLAMA3_BOS; i++) {
      out.add("<|reserved_special_token_" + i + "|>");
    }
    return out;
  }
}
