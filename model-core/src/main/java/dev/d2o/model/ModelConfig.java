package dev.d2o.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The architecture read from a Hugging Face {@code config.json} by its {@link ModelFamily}: the
 * sizes every family has, the attention window of each layer, the special tokens, and the family's
 * own options (for example Gemma 2's soft-capping) that only its forward pass reads. The original
 * JSON is kept so that saving writes back every key the user had.
 *
 * @param modelType the {@code model_type} (one of {@link ModelFamilies#types()})
 * @param family the family that parsed it and runs it
 * @param vocabSize rows of the embedding and of the output head
 * @param hiddenSize model width
 * @param numLayers transformer blocks
 * @param numHeads query heads
 * @param numKvHeads key/value heads (grouped-query attention when fewer than {@code numHeads})
 * @param headDim width of one head ({@code head_dim}, or {@code hiddenSize / numHeads})
 * @param intermediateSize MLP width
 * @param maxPositions context length
 * @param normEps LayerNorm / RMSNorm epsilon
 * @param tieWordEmbeddings whether the output head is the input embedding
 * @param layerWindows per layer, the sliding attention window in tokens (0 = the whole context)
 * @param bosTokenId beginning-of-sequence id, -1 when none
 * @param eosTokenIds end-of-sequence ids (may be empty)
 * @param options the family's own parsed options (read through {@link #options(Class)})
 * @param raw the parsed {@code config.json}
 */
public record ModelConfig(
    String modelType,
    ModelFamily family,
    int vocabSize,
    int hiddenSize,
    int numLayers,
    int numHeads,
    int numKvHeads,
    int headDim,
    int intermediateSize,
    int maxPositions,
    double normEps,
    boolean tieWordEmbeddings,
    List<Integer> layerWindows,
    int bosTokenId,
    List<Integer> eosTokenIds,
    Object options,
    ObjectNode raw) {

  private static final ObjectMapper JSON = new ObjectMapper();

  public ModelConfig {
    layerWindows = List.copyOf(layerWindows);
    eosTokenIds = List.copyOf(eosTokenIds);
    if (layerWindows.size() != numLayers) {
      throw new ModelException(
          layerWindows.size() + " layer windows for " + numLayers + " layers in " + modelType);
    }
  }

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

  /**
   * Parses a config JSON object with the family its {@code model_type} names; {@code source} names
   * it in error messages.
   */
  public static ModelConfig fromJson(ObjectNode n, String source) {
    String type = n.path("model_type").asText("");
    ModelFamily family = ModelFamilies.find(type);
    if (family == null) {
      throw new ModelException(
          "unknown model_type '"
              + type
              + "' in "
              + source
              + "; supported model types: "
              + String.join(", ", ModelFamilies.types()));
    }
    return family.parse(new ConfigKeys(n, source));
  }

  /** The family's options, as the family's own record type. */
  <T> T options(Class<T> type) {
    return type.cast(options);
  }

  /** The sliding attention window of {@code layer} in tokens, 0 when it sees the whole context. */
  public int window(int layer) {
    return layerWindows.get(layer);
  }

  /** The tensors of this architecture, as its family declares them. */
  public TensorLayout tensors() {
    return family.tensors(this);
  }

  /** Number of parameters (tied heads counted once), from the family's tensor declaration. */
  public long parameterCount() {
    return tensors().parameterCount();
  }
}
