package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;

/**
 * Gemma 2 (Gemma Team 2024) as Hugging Face's {@code Gemma2ForCausalLM} ({@code
 * modeling_gemma2.py}, {@code configuration_gemma2.py}): embeddings scaled by √hidden, RMSNorm
 * scaling by (1 + w), norms before and after both attention and MLP, a GeGLU MLP ({@code
 * hidden_activation}, tanh-approximated GELU), attention scores scaled by {@code
 * query_pre_attn_scalar}^-½ and soft-capped ({@code attn_logit_softcapping}), every other layer
 * attending within {@code sliding_window} tokens, final logits soft-capped ({@code
 * final_logit_softcapping}), a tied head, and {@code head_dim} independent of the width. Defaults
 * are {@code Gemma2Config}'s.
 */
final class Gemma2Family extends ModelFamily {
  private static final String PREFIX = LlamaFamily.PREFIX;

  /**
   * Gemma 2's options.
   *
   * @param rotary the rotary embedding
   * @param bias whether q/k/v/o carry biases ({@code attention_bias})
   * @param activation the MLP's {@code hidden_activation}
   * @param attention score scale and soft-cap
   * @param finalSoftcap {@code final_logit_softcapping}, 0 = off
   */
  record Options(
      Rotary rotary,
      boolean bias,
      Mlp.Activation activation,
      Attention.Spec attention,
      double finalSoftcap) {}

  @Override
  public String modelType() {
    return "gemma2";
  }

  /** GemmaTokenizer starts prompts with BOS. */
  @Override
  public boolean addsBosByDefault() {
    return true;
  }

  @Override
  ModelConfig parse(ConfigKeys k) {
    int hidden = k.positive("hidden_size");
    int heads = k.positive("num_attention_heads");
    int kvHeads = k.positive("num_key_value_heads", 4);
    k.divides("num_attention_heads", heads, "num_key_value_heads", kvHeads);
    int headDim = k.positive("head_dim", 256);
    Rotary rotary = Rotary.parse(k, headDim, 10000.0);
    String act = k.choice("hidden_activation", "gelu_pytorch_tanh", Mlp.Activation.GELU_NAMES);
    k.refuse(k.flag("use_bidirectional_attention", false), "use_bidirectional_attention=true");
    double scalar = k.positiveNumber("query_pre_attn_scalar", 256);
    Attention.Spec spec =
        new Attention.Spec(
            1.0 / Math.sqrt(scalar), k.positiveNumberOrOff("attn_logit_softcapping", 50.0));
    Options o =
        new Options(
            rotary,
            k.flag("attention_bias", false),
            Mlp.Activation.of(act),
            spec,
            k.positiveNumberOrOff("final_logit_softcapping", 30.0));
    int layers = k.positive("num_hidden_layers");
    int window = k.json().has("sliding_window") ? k.positive("sliding_window", 0) : 4096;
    List<Integer> windows = k.layerTypes(layers, window);
    if (windows == null) {
      // layer i slides when i is even ("sliding_attention" if bool((i + 1) % 2) in Gemma2Config)
      windows = new ArrayList<>();
      for (int i = 0; i < layers; i++) {
        windows.add(i % 2 == 0 ? window : 0);
      }
    }
    return new ModelConfig(
        modelType(),
        this,
        k.positive("vocab_size"),
        hidden,
        layers,
        heads,
        kvHeads,
        headDim,
        k.positive("intermediate_size"),
        k.positive("max_position_embeddings"),
        k.positiveNumber("rms_norm_eps", 1e-6),
        k.flag("tie_word_embeddings", true),
        windows,
        k.optionalId("bos_token_id"),
        k.ids("eos_token_id"),
        o,
        k.json());
  }

  @Override
  public TensorLayout tensors(ModelConfig c) {
    boolean bias = c.options(Options.class).bias();
    long e = c.hiddenSize();
    long q = (long) c.numHeads() * c.headDim();
    long kv = (long) c.numKvHeads() * c.headDim();
    long inner = c.intermediateSize();
    TensorLayout.Init zero = TensorLayout.Init.ZEROS; // (1 + w): a zero weight scales by 1
    TensorLayout.Builder b = TensorLayout.builder();
    b.embedding(PREFIX).weight("embed_tokens.weight", c.vocabSize(), e);
    for (int i = 0; i < c.numLayers(); i++) {
      b.layer(PREFIX + "layers." + i + ".")
          .norm("input_layernorm.weight", e, zero)
          .linear("self_attn.q_proj", q, e, bias)
          .linear("self_attn.k_proj", kv, e, bias)
          .linear("self_attn.v_proj", kv, e, bias)
          .linear("self_attn.o_proj", e, q, bias)
          .norm("post_attention_layernorm.weight", e, zero)
          .norm("pre_feedforward_layernorm.weight", e, zero)
          .linear("mlp.gate_proj", inner, e, false)
          .linear("mlp.up_proj", inner, e, false)
          .linear("mlp.down_proj", e, inner, false)
          .norm("post_feedforward_layernorm.weight", e, zero);
    }
    LlamaFamily.head(b, c, zero);
    return b.build();
  }

  @Override
  NDArray embed(CausalLM m, NDArray ids, NDArray positions, LayerInputs in) {
    NDArray x = m.weights(PREFIX, in).embed("embed_tokens.weight", ids); // (B, T, E)
    // × √hidden, the normalizer cast to the hidden states' dtype (fp32 here) as Gemma2Model does
    return x.mul(Scalars.of(x, Math.sqrt(m.config().hiddenSize())));
  }

  @Override
  NDList rope(ModelConfig c, NDArray positions) {
    return c.options(Options.class).rotary().cosSin(positions); // cos, sin: (B, 1, T, D)
  }

  @Override
  NDArray layer(CausalLM m, int i, NDArray x, LayerInputs in) {
    ModelConfig c = m.config();
    Options o = c.options(Options.class);
    double eps = c.normEps();
    long b = in.batch();
    long t = in.tokens();
    int d = c.headDim();
    Weights w = m.layer(i, in);
    NDArray n = Norms.rmsOnePlus(x, w.get("input_layernorm.weight"), eps);
    NDArray q = Attention.heads(w.linear("self_attn.q_proj", n), b, t, c.numHeads(), d);
    NDArray k = Attention.heads(w.linear("self_attn.k_proj", n), b, t, c.numKvHeads(), d);
    NDArray v = Attention.heads(w.linear("self_attn.v_proj", n), b, t, c.numKvHeads(), d);
    q = Rotary.apply(q, in.rope()); // (B, H, T, D)
    k = Rotary.apply(k, in.rope()); // (B, Hkv, T, D)
    NDArray a = Attention.attend(q, k, v, o.attention(), i, c.window(i), in.mask(), in.cache());
    a = w.linear("self_attn.o_proj", a); // (B, T, E)
    x = x.add(Norms.rmsOnePlus(a, w.get("post_attention_layernorm.weight"), eps));
    n = Norms.rmsOnePlus(x, w.get("pre_feedforward_layernorm.weight"), eps);
    NDArray f = Mlp.gated(w, "mlp.", n, o.activation()); // (B, T, E)
    return x.add(Norms.rmsOnePlus(f, w.get("post_feedforward_layernorm.weight"), eps));
  }

  @Override
  NDArray finalNorm(CausalLM m, NDArray x, LayerInputs in) {
    return Norms.rmsOnePlus(x, m.weights(PREFIX, in).get("norm.weight"), m.config().normEps());
  }

  @Override
  String outputWeight(ModelConfig c) {
    return c.tieWordEmbeddings() ? PREFIX + "embed_tokens.weight" : "lm_head.weight";
  }

  @Override
  NDArray capLogits(ModelConfig c, NDArray logits) {
    double cap = c.options(Options.class).finalSoftcap();
    if (cap <= 0) {
      return logits;
    }
    NDArray k = Scalars.of(logits, cap); // cap·tanh(logits/cap), Gemma2ForCausalLM.forward
    return logits.div(k).tanh().mul(k);
  }

  @Override
  public List<String> loraAutoTargets() {
    return List.of("q_proj", "k_proj", "v_proj", "o_proj");
  }

  /**
   * Half as many KV heads, heads of width / heads, an MLP 4 times the width (Gemma 2 2B: 2304 →
   * 9216), a window of a quarter of the context on the even layers, Gemma 2's soft-caps, a tied
   * head.
   */
  @Override
  public ObjectNode smallConfig(Size size, int vocabSize, int bosTokenId, int eosTokenId) {
    int headDim = Math.max(1, size.hidden() / size.heads());
    ObjectNode n = header(vocabSize, bosTokenId, eosTokenId);
    n.put("hidden_size", size.hidden())
        .put("intermediate_size", size.intermediateOr(4 * size.hidden()))
        .put("num_hidden_layers", size.layers())
        .put("num_attention_heads", size.heads())
        .put("num_key_value_heads", size.kvHeadsOr(Math.max(1, size.heads() / 2)))
        .put("head_dim", headDim)
        .put("max_position_embeddings", size.context())
        .put("query_pre_attn_scalar", headDim)
        .put("sliding_window", Math.max(1, size.context() / 4))
        .put("attn_logit_softcapping", 50.0)
        .put("final_logit_softcapping", 30.0)
        .put("hidden_activation", "gelu_pytorch_tanh")
        .put("tie_word_embeddings", true);
    return n;
  }
}
