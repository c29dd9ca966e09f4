package dev.d2o.cli;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.model.ByteLevelBpe;
import dev.d2o.model.CausalLM;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.Pretrained;
import java.nio.file.Path;
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
      description = "gpt2, llama, mistral or qwen2 (default: ${DEFAULT-VALUE}).")
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

  static final int EOS = 256;
  static final int BOS = 257;

  @Override
  public Integer call() throws Exception {
    ObjectNode json = Jsonl.JSON.createObjectNode();
    int vocab = 258;
    int bos = BOS;
    int eos = EOS;
    if (tokenizer != null) {
      com.fasterxml.jackson.databind.JsonNode tok =
          Jsonl.JSON.readTree(tokenizer.resolve("tokenizer.json").toFile());
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
    json.put("model_type", type);
    json.put("vocab_size", vocab);
    json.put("bos_token_id", bos);
    json.put("eos_token_id", eos);
    if (type.equals("gpt2")) {
      json.put("n_embd", hidden)
          .put("n_layer", layers)
          .put("n_head", heads)
          .put("n_positions", context);
      json.put("bos_token_id", eos); // GPT-2 uses <|endoftext|> for both
    } else {
      json.put("hidden_size", hidden)
          .put("intermediate_size", hidden * 8 / 3 / 8 * 8)
          .put("num_hidden_layers", layers)
          .put("num_attention_heads", heads)
          .put("num_key_value_heads", Math.max(1, heads / 2))
          .put("max_position_embeddings", context)
          .put("tie_word_embeddings", true);
    }
    ModelConfig config = ModelConfig.fromJson(json, "--type " + type);
    try (NDManager m = NDManager.newBaseManager();
        CausalLM model = CausalLM.random(config, seed, m)) {
      Pretrained.save(model, out, null);
    }
    if (tokenizer == null) {
      ByteLevelBpe.bytesOnly(List.of("<|endoftext|>", "<s>")).write(out.resolve("tokenizer.json"));
    } else {
      for (String f : List.of("tokenizer.json", "tokenizer_config.json")) {
        if (java.nio.file.Files.isRegularFile(tokenizer.resolve(f))) {
          java.nio.file.Files.copy(
              tokenizer.resolve(f),
              out.resolve(f),
              java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
    System.out.printf(
        "wrote a random %s model (%,d parameters) to %s%n", type, config.parameterCount(), out);
    return 0;
  }
}
