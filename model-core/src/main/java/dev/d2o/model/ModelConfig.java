package dev.d2o.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The architecture hyper-parameters read from a Hugging Face {@code config.json}, normalised over
 * the two families this project implements. The original JSON is kept so that saving writes back
 * every key the user had.
 *
 * @param modelType the {@code model_type} ({@code gpt2}, {@code llama}, {@code mistral}, {@code
 *     qwen2})
 * @param family which forward pass runs it
 * @param vocabSize rows of the embedding and of the output head
 * @param hiddenSize model width
 * @param numLayers transformer blocks
 * @param numHeads query heads
 * @param numKvHeads key/value heads (grouped-query attention when fewer than {@code numHeads})
 * @param headDim width of one head ({@code head_dim}, or {@code hiddenSize / numHeads})
 * @param intermediateSize MLP width
 * @param maxPositions context length
 * @param normEps LayerNorm / RMSNorm epsilon
 * @param activation GPT-2's {@code activation_function} (the Llama family always uses SiLU)
 * @param ropeTheta rotary base
 * @param ropeScaling rotary scaling ({@link RopeScaling#NONE} when absent)
 * @param tieWordEmbeddings whether the output head is the input embedding
 * @param qkvBias whether q/k/v projections carry biases (qwen2, or {@code attention_bias})
 * @param outBias whether the attention output projection carries a bias ({@code attention_bias})
 * @param mlpBias whether the Llama MLP projections carry biases ({@code mlp_bias})
 * @param slidingWindow attention window in tokens, 0 when unlimited
 * @param bosTokenId beginning-of-sequence id, -1 when none
 * @param eosTokenIds end-of-sequence ids (may be empty)
 * @param raw the parsed {@code config.json}
 */
public record ModelConfig(
    String modelType,
    Family family,
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int intermediateSize,
    int maxPositions,
    double normEps,
    String activation,
    double ropeTheta,
    RopeScaling ropeScaling,
    boolean tieWordEmbeddings,
    boolean qkvBias,
    boolean outBias,
    boolean mlpBias,
    int slidingWindow,
    int bosTokenId,
    List<Integer> eosTokenIds,
    ObjectNode raw) {

  /** The forward pass a {@code model_type} maps to. */
  public enum Family {
    GPT2,
    LLAMA
  }

  /** The {@code model_type} values this project loads. */
  public static final List<String> SUPPORTED_TYPES = List.of("gpt2", "llama", "mistral", "qwen2");

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads {@code dir/config.json}. */
  public static ModelConfig load(Path dir) {
    Path file = dir.resolve("config.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelException(
          "missing config.json in model directory "
              + dir
              + " (a Hugging Face model directory needs config.json, model.safetensors and tokenizer.json)");
    }
    JsonNode node;
    try {
      node = JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new ModelException("cannot parse " + file + ": " + e.getMessage(), e);
    }
    if (node == null || !node.isObject()) {
      throw new ModelException("cannot parse " + file + ": not a JSON object");
    }
    return fromJson((ObjectNode) node, file.toString());
  }

  /** Parses a config JSON object; {@code source} names it in error messages. */
  public static ModelConfig fromJson(ObjectNode n, String source) {
    String type = n.path("model_type").asText("");
    Keys k = new Keys(n, source);
    return switch (type) {
      case "gpt2" -> gpt2(n, k);
      case "llama", "mistral", "qwen2" -> llama(type, n, k);
      default ->
          throw new ModelException(
              "unknown model_type '"
                  + type
                  + "' in "
                  + source
                  + "; supported model types: "
                  + String.join(", ", SUPPORTED_TYPES));
    };
  }

  private static ModelConfig gpt2(ObjectNode n, Keys k) {
    int hidden = k.positive("n_embd");
    int heads = k.positive("n_head");
    k.divides("n_embd", hidden, "n_head", heads);
    String act = n.path("activation_function").asText("gelu_new");
    if (!List.of("gelu_new", "gelu_pytorch_tanh", "gelu").contains(act)) {
      throw new ModelException(
          "activation_function '"
              + act
              + "' in "
              + k.source
              + " is not supported; supported: gelu_new, gelu_pytorch_tanh, gelu");
    }
    if (k.flag("scale_attn_by_inverse_layer_idx", false)) {
      throw new ModelException(
          "scale_attn_by_inverse_layer_idx=true in " + k.source + " is not supported");
    }
    int inner = n.hasNonNull("n_inner") ? k.positive("n_inner") : 4 * hidden;
    return new ModelConfig(
        "gpt2",
        Family.GPT2,
        k.positive("vocab_size"),
        hidden,
        k.positive("n_layer"),
        heads,
        heads,
        hidden / heads,
        inner,
        k.positive("n_positions"),
        k.positiveNumber("layer_norm_epsilon", 1e-5),
        act,
        0,
        RopeScaling.NONE,
        k.flag("tie_word_embeddings", true),
        true,
        true,
        true,
        0,
        k.optionalId("bos_token_id"),
        k.ids("eos_token_id"),
        n);
  }

  private static ModelConfig llama(String type, ObjectNode n, Keys k) {
    int hidden = k.positive("hidden_size");
    int heads = k.positive("num_attention_heads");
    int kvHeads = n.hasNonNull("num_key_value_heads") ? k.positive("num_key_value_heads") : heads;
    k.divides("num_attention_heads", heads, "num_key_value_heads", kvHeads);
    int headDim;
    if (n.hasNonNull("head_dim")) {
      headDim = k.positive("head_dim");
    } else {
      k.divides("hidden_size", hidden, "num_attention_heads", heads);
      headDim = hidden / heads;
    }
    if (headDim % 2 != 0) {
      throw new ModelException(
          "head dimension " + headDim + " in " + k.source + " must be even for rotary embeddings");
    }
    String act = n.path("hidden_act").asText("silu");
    if (!act.equals("silu")) {
      throw new ModelException(
          "hidden_act '" + act + "' in " + k.source + " is not supported; supported: silu");
    }
    boolean attnBias = k.flag("attention_bias", false);
    boolean qkvBias = type.equals("qwen2") || attnBias;
    int window = 0;
    boolean windowOn = type.equals("mistral") || k.flag("use_sliding_window", false);
    if (windowOn && n.hasNonNull("sliding_window")) {
      window = k.positive("sliding_window");
    }
    return new ModelConfig(
        type,
        Family.LLAMA,
        k.positive("vocab_size"),
        hidden,
        k.positive("num_hidden_layers"),
        heads,
        kvHeads,
        headDim,
        k.positive("intermediate_size"),
        k.positive("max_position_embeddings"),
        k.positiveNumber("rms_norm_eps", 1e-6),
        "silu",
        k.positiveNumber("rope_theta", 10000.0),
        RopeScaling.parse(n.get("rope_scaling"), k.source),
        k.flag("tie_word_embeddings", false),
        qkvBias,
        attnBias,
        k.flag("mlp_bias", false),
        window,
        k.optionalId("bos_token_id"),
        k.ids("eos_token_id"),
        n);
  }

  /** Number of parameters (tied heads counted once). */
  public long parameterCount() {
    long e = hiddenSize;
    long v = vocabSize;
    long perLayer;
    long total;
    if (family == Family.GPT2) {
      perLayer =
          4 * e
              + (e * 3 * e + 3 * e)
              + (e * e + e)
              + (e * intermediateSize + intermediateSize)
              + (intermediateSize * e + e);
      total = v * e + (long) maxPositions * e + 2 * e;
    } else {
      long q = (long) numHeads * headDim;
      long kv = (long) numKvHeads * headDim;
      perLayer =
          2 * e
              + e * q
              + 2 * e * kv
              + q * e
              + 3 * e * intermediateSize
              + (qkvBias ? q + 2 * kv : 0)
              + (outBias ? e : 0)
              + (mlpBias ? 2L * intermediateSize + e : 0);
      total = v * e + e;
    }
    total += perLayer * numLayers;
    if (!tieWordEmbeddings) {
      total += v * e;
    }
    return total;
  }

  /** Reads typed keys with errors that name the file, the key and the value. */
  private static final class Keys {
    private final ObjectNode n;
    private final String source;

    Keys(ObjectNode n, String source) {
      this.n = n;
      this.source = source;
    }

    int positive(String key) {
      JsonNode v = n.get(key);
      if (v == null || v.isNull()) {
        throw new ModelException("missing key '" + key + "' in " + source);
      }
      if (!v.isIntegralNumber() || v.asLong() <= 0 || v.asLong() > Integer.MAX_VALUE) {
        throw new ModelException(
            "key '" + key + "' in " + source + " is " + v + "; expected a positive integer");
      }
      return v.asInt();
    }

    /** An optional positive finite number; a value of another type is an error, not the default. */
    double positiveNumber(String key, double def) {
      JsonNode v = n.get(key);
      if (v == null || v.isNull()) {
        return def;
      }
      if (!v.isNumber() || !(v.asDouble() > 0) || Double.isInfinite(v.asDouble())) {
        throw new ModelException(
            "key '" + key + "' in " + source + " is " + v + "; expected a positive number");
      }
      return v.asDouble();
    }

    /** An optional boolean; a value of another type is an error, not the default. */
    boolean flag(String key, boolean def) {
      JsonNode v = n.get(key);
      if (v == null || v.isNull()) {
        return def;
      }
      if (!v.isBoolean()) {
        throw new ModelException(
            "key '" + key + "' in " + source + " is " + v + "; expected true or false");
      }
      return v.asBoolean();
    }

    void divides(String aKey, int a, String bKey, int b) {
      if (a % b != 0) {
        throw new ModelException(
            aKey + "=" + a + " in " + source + " is not divisible by " + bKey + "=" + b);
      }
    }

    int optionalId(String key) {
      JsonNode v = n.get(key);
      if (v == null || v.isNull()) {
        return -1;
      }
      if (v.isArray() && v.size() > 0) {
        v = v.get(0);
      }
      if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() < 0) {
        throw new ModelException(
            "key '" + key + "' in " + source + " is " + v + "; expected a token id");
      }
      return v.asInt();
    }

    List<Integer> ids(String key) {
      JsonNode v = n.get(key);
      if (v == null || v.isNull()) {
        return List.of();
      }
      if (v.isArray()) {
        java.util.ArrayList<Integer> out = new java.util.ArrayList<>();
        for (JsonNode x : v) {
          if (!x.isIntegralNumber() || !x.canConvertToInt() || x.asInt() < 0) {
            throw new ModelException(
                "key '" + key + "' in " + source + " is " + v + "; expected token ids");
          }
          out.add(x.asInt());
        }
        return List.copyOf(out);
      }
      return List.of(optionalId(key));
    }
  }
}
