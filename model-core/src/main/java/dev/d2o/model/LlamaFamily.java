package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.List;

/**
 * Llama (Touvron et al. 2023) as Hugging Face's {@code LlamaForCausalLM} ({@code
 * modeling_llama.py}): RMSNorm, rotary position embeddings ({@code rope_theta}, {@code
 * rope_scaling}), SwiGLU MLP, grouped-query attention, optional biases ({@code attention_bias},
 * {@code mlp_bias}), optional tied head. Mistral and Qwen2 run this forward pass with their own
 * configuration ({@link MistralFamily}, {@link Qwen2Family}).
 */
class LlamaFamily extends ModelFamily {
  static final String PREFIX = "model.";

  /**
   * The options of the Llama forward pass.
   *
   * @param rotary the rotary embedding
   * @param qkvBias whether q/k/v projections carry biases
   * @param outBias whether the attention output projection carries a bias
   * @param mlpBias whether the MLP projections carry biases
   */
  record Options(Rotary rotary, boolean qkvBias, boolean outBias, boolean mlpBias) {}

  @Override
  public String modelType() {
    return "llama";
  }

  /** LlamaTokenizer starts prompts with BOS. */
  @Override
  public boolean addsBosByDefault() {
    return true;
  }

  /** Whether q/k/v carry biases: {@code attention_bias} for Llama. */
  boolean qkvBias(ConfigKeys k, boolean attentionBias) {
    return attentionBias;
  }

  /** The per-layer attention windows: none for Llama. */
  List<Integer> windows(ConfigKeys k, int layers) {
    return Collections.nCopies(layers, 0);
  }

  /** The head width when the file has no {@code head_dim}: the width over the heads for Llama. */
  int defaultHeadDim(ConfigKeys k, int hidden, int heads) {
    k.divides("hidden_size", hidden, "num_attention_heads", heads);
    return hidden / heads;
  }

  @Override
  ModelConfig parse(ConfigKeys k) {
    int hidden = k.positive("hidden_size");
    int heads = k.positive("num_attention_heads");
    int kvHeads = k.has("num_key_value_heads") ? k.positive("num_key_value_heads") : heads;
    k.divides("num_attention_heads", heads, "num_key_value_heads", kvHeads);
    int headDim = k.has("head_dim") ? k.positive("head_dim") : defaultHeadDim(k, hidden, heads);
    Rotary rotary = Rotary.parse(k, headDim, 10000.0);
    k.choice("hidden_act", "silu", List.of("silu"));
    boolean attnBias = k.flag("attention_bias", false);
    boolean qkvBias = qkvBias(k, attnBias);
    int vocab = k.positive("vocab_size");
    int layers = k.positive("num_hidden_layers");
    List<Integer> windows = windows(k, layers);
    int inner = k.positive("intermediate_size");
    int positions = k.positive("max_position_embeddings");
    double eps = k.positiveNumber("rms_norm_eps", 1e-6);
    boolean tied = k.flag("tie_word_embeddings", false);
    Options o = new Options(rotary, qkvBias, attnBias, k.flag("mlp_bias", false));
    return new ModelConfig(
        modelType(),
        this,
        vocab,
        hidden,
        layers,
        heads,
        kvHeads,
        headDim,
        inner,
        positions,
        eps,
        tied,
        windows,
        k.optionalId("bos_token_id"),
        k.ids("eos_token_id"),
        o,
        k.json());
  }

  @Override
  public TensorLayout tensors(ModelConfig c) {
    Options o = c.options(Options.class);
    long e = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long inner = c.intermediateSize();
    TensorLayout.Builder b = TensorLayout.builder();
    b.embedding(PREFIX).weight("embed_tokens.weight", c.vocabSize(), e);
    for (int i = 0; i < c.numLayers(); i++) {
      b.layer(PREFIX + "layers." + i + ".")
          .norm("input_layernorm.weight", e, TensorLayout.Init.ONES)
          .linear("self_attn.q_proj", q, e, o.qkvBias())
          .linear("self_attn.k_proj", kv, e, o.qkvBias())
          .linear("self_attn.v_proj", kv, e, o.qkvBias())
          .linear("self_attn.o_proj", e, q, o.outBias())
          .norm("post_attention_layernorm.weight", e, TensorLayout.Init.ONES)
          .linear("mlp.gate_proj", inner, e, o.mlpBias())
          .linear("mlp.up_proj", inner, e, o.mlpBias())
          .linear("mlp.down_proj", e, inner, o.mlpBias());
    }
    head(b, c, TensorLayout.Init.ONES);
    return b.build();
  }

  /** The head of the Llama-style families: {@code model.norm} and the output head unless tied. */
  static void head(TensorLayout.Builder b, ModelConfig c, TensorLayout.Init normInit) {
    TensorLayout.GroupBuilder head =
        b.head("").norm(PREFIX + "norm.weight", c.hiddenSize(), normInit);
    if (!c.tieWordEmbeddings()) {
      head.weight("lm_head.weight", c.vocabSize(), c.hiddenSize());
    }
  }

  @Override
  NDArray embed(CausalLM m, NDArray ids, NDArray positions, LayerInputs in) {
    return m.weights(PREFIX, in).embed("embed_tokens.weight", ids); // (B, T, E)
  }

  @Override
  NDList rope(ModelConfig c, NDArray positions) {
    return c.options(Options.class).rotary().cosSin(positions); // cos, sin: (B, 1, T, D)
  }

  @Override
  NDArray layer(CausalLM m, int i, NDArray x, LayerInputs in) {
    ModelConfig c = m.config();
    long b = in.batch();
    long t = in.tokens();
    int d = c.headDim();
    Weights w = m.layer(i, in);
    NDArray n = Norms.rms(x, w.get("input_layernorm.weight"), c.normEps());
    NDArray q = Attention.heads(w.linear("self_attn.q_proj", n), b, t, c.numHeads(), d);
    NDArray k = Attention.heads(w.linear("self_attn.k_proj", n), b, t, c.numKvHeads(), d);
    NDArray v = Attention.heads(w.linear("self_attn.v_proj", n), b, t, c.numKvHeads(), d);
    q = Rotary.apply(q, in.rope()); // (B, H, T, D)
    k = Rotary.apply(k, in.rope()); // (B, Hkv, T, D)
    Attention.Spec spec = Attention.Spec.standard(d);
    NDArray a =
        Attention.attend(q, k, v, spec, i, c.window(i), in.mask(), in.cache()); // (B, T, H·D)
    x = x.add(w.linear("self_attn.o_proj", a));
    n = Norms.rms(x, w.get("post_attention_layernorm.weight"), c.normEps());
    return x.add(Mlp.gated(w, "mlp.", n, Mlp.Activation.SILU)); // (B, T, E)
  }

  @Override
  NDArray finalNorm(CausalLM m, NDArray x, LayerInputs in) {
    return Norms.rms(x, m.weights(PREFIX, in).get("norm.weight"), m.config().normEps());
  }

  @Override
  String outputWeight(ModelConfig c) {
    return c.tieWordEmbeddings() ? PREFIX + "embed_tokens.weight" : "lm_head.weight";
  }

  @Override
  public List<String> loraAutoTargets() {
    return List.of("q_proj", "k_proj", "v_proj", "o_proj");
  }

  /**
   * Width, layers, heads and context as given; half as many KV heads, an MLP about 8/3 as wide
   * (rounded down to a multiple of 8), tied embeddings.
   */
  @Override
  public ObjectNode smallConfig(Size size, int vocabSize, int bosTokenId, int eosTokenId) {
    ObjectNode n = header(vocabSize, bosTokenId, eosTokenId);
    n.put("hidden_size", size.hidden())
        .put("intermediate_size", size.intermediateOr(size.hidden() * 8 / 3 / 8 * 8))
        .put("num_hidden_layers", size.layers())
        .put("num_attention_heads", size.heads())
        .put("num_key_value_heads", size.kvHeadsOr(Math.max(1, size.heads() / 2)))
        .put("max_position_embeddings", size.context())
        .put("tie_word_embeddings", true);
    return n;
  }
}
