package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One architecture, keyed by its {@code model_type} as Hugging Face's auto-classes are: it parses
 * its {@code config.json}, declares its tensors ({@link TensorLayout}) and runs its forward pass
 * piece by piece from the shared blocks ({@link Attention}, {@link Rotary}, {@link Norms}, {@link
 * Mlp}); {@link Forward} runs the pieces (and moves activations between devices). Parameter counts,
 * random models, LoRA targets and the safetensors names derive from the declaration. The families
 * are listed in {@link ModelFamilies}; each is one file in this package.
 */
public abstract class ModelFamily {
  static final ObjectMapper JSON = new ObjectMapper();

  /**
   * The size of a model the project writes itself (random models, benchmark shapes); 0 for {@code
   * kvHeads} or {@code intermediate} means the family's own choice.
   *
   * @param hidden width
   * @param layers decoder layers
   * @param heads query heads
   * @param kvHeads key/value heads, 0 for the family's default
   * @param intermediate MLP width, 0 for the family's default
   * @param context positions
   */
  public record Size(
      int hidden, int layers, int heads, int kvHeads, int intermediate, int context) {
    /** A size with the family's default key/value heads and MLP width. */
    public static Size of(int hidden, int layers, int heads, int context) {
      return new Size(hidden, layers, heads, 0, 0, context);
    }

    int kvHeadsOr(int def) {
      return kvHeads > 0 ? kvHeads : def;
    }

    int intermediateOr(int def) {
      return intermediate > 0 ? intermediate : def;
    }
  }

  ModelFamily() {}

  /** The {@code model_type} this family reads. */
  public abstract String modelType();

  /** Parses this family's {@code config.json}. */
  abstract ModelConfig parse(ConfigKeys keys);

  /** The tensors of {@code config}'s architecture. */
  public abstract TensorLayout tensors(ModelConfig config);

  /**
   * The embedding of token ids (B, T) at positions (B, T): (B, T, E) in F32, the first piece of the
   * forward pass that {@link Forward} runs (embedding, each {@link #layer}, {@link #finalNorm}).
   */
  abstract NDArray embed(CausalLM model, NDArray ids, NDArray positions, LayerInputs in);

  /** The rotary cos and sin of positions (B, T) that every layer reads; none by default. */
  NDList rope(ModelConfig config, NDArray positions) {
    return new NDList();
  }

  /** Decoder layer {@code i} on hidden states x (B, T, E): (B, T, E). */
  abstract NDArray layer(CausalLM model, int i, NDArray x, LayerInputs in);

  /** The final norm of hidden states (B, T, E). */
  abstract NDArray finalNorm(CausalLM model, NDArray x, LayerInputs in);

  /** The name of the output projection's weight (V, E): the embedding when tied. */
  abstract String outputWeight(ModelConfig config);

  /** The logits (B, T, V) after the output projection; the identity unless a family caps them. */
  NDArray capLogits(ModelConfig config, NDArray logits) {
    return logits;
  }

  /** The modules {@code lora.targets=auto} adapts (PEFT's {@code target_modules}). */
  public abstract List<String> loraAutoTargets();

  /**
   * Whether prompts start with BOS when {@code tokenizer_config.json} does not say ({@code
   * add_bos_token}): the default of the family's Hugging Face tokenizer class.
   */
  public boolean addsBosByDefault() {
    return false;
  }

  /**
   * A {@code config.json} for a model of this family of {@code size} (the family chooses its other
   * keys: MLP width, key/value heads, windows, ...), as {@code bin/d2o random-model} writes it.
   */
  public abstract ObjectNode smallConfig(Size size, int vocabSize, int bosTokenId, int eosTokenId);

  /** {@link #smallConfig} parsed. */
  public final ModelConfig config(Size size, int vocabSize, int bosTokenId, int eosTokenId) {
    return ModelConfig.fromJson(
        smallConfig(size, vocabSize, bosTokenId, eosTokenId), modelType() + " " + size);
  }

  /**
   * The names a checkpoint may store a tensor under, the canonical ({@code save_pretrained}) name
   * first.
   */
  List<String> storedNames(String canonical) {
    return List.of(canonical);
  }

  /** Whether a stored tensor is a buffer, not a weight (skipped without a warning). */
  boolean isBuffer(String stored) {
    return stored.endsWith("rotary_emb.inv_freq");
  }

  /** The first keys of every config the project writes. */
  final ObjectNode header(int vocabSize, int bosTokenId, int eosTokenId) {
    ObjectNode n = JSON.createObjectNode();
    n.put("model_type", modelType());
    n.put("vocab_size", vocabSize);
    n.put("bos_token_id", bosTokenId);
    n.put("eos_token_id", eosTokenId);
    return n;
  }

  @Override
  public String toString() {
    return modelType();
  }
}
