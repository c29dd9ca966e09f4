package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Collections;
import java.util.List;

/**
 * GPT-2 (Radford et al. 2019) as Hugging Face's {@code GPT2LMHeadModel} ({@code modeling_gpt2.py}):
 * learned positions, pre-LayerNorm blocks, a fused q/k/v projection, {@code gelu_new}, Conv1D
 * weights stored (in, out), the output head tied to {@code wte}. Hub checkpoints store the names
 * without the {@code transformer.} prefix that {@code save_pretrained} writes.
 */
final class Gpt2Family extends ModelFamily {
  static final String PREFIX = "transformer.";

  /** GPT-2's {@code activation_function}. */
  record Options(Mlp.Activation activation) {}

  @Override
  public String modelType() {
    return "gpt2";
  }

  @Override
  ModelConfig parse(ConfigKeys k) {
    int hidden = k.positive("n_embd");
    int heads = k.positive("n_head");
    k.divides("n_embd", hidden, "n_head", heads);
    String act = k.choice("activation_function", "gelu_new", Mlp.Activation.GELU_NAMES);
    k.refuse(
        k.flag("scale_attn_by_inverse_layer_idx", false), "scale_attn_by_inverse_layer_idx=true");
    int inner = k.has("n_inner") ? k.positive("n_inner") : 4 * hidden;
    int vocab = k.positive("vocab_size");
    int layers = k.positive("n_layer");
    return new ModelConfig(
        modelType(),
        this,
        vocab,
        hidden,
        layers,
        heads,
        heads,
        hidden / heads,
        inner,
        k.positive("n_positions"),
        k.positiveNumber("layer_norm_epsilon", 1e-5),
        k.flag("tie_word_embeddings", true),
        Collections.nCopies(layers, 0),
        k.optionalId("bos_token_id"),
        k.ids("eos_token_id"),
        new Options(Mlp.Activation.of(act)),
        k.json());
  }

  @Override
  public TensorLayout tensors(ModelConfig c) {
    long e = c.hiddenSize();
    long inner = c.intermediateSize();
    TensorLayout.Builder b = TensorLayout.builder();
    b.embedding(PREFIX)
        .weight("wte.weight", c.vocabSize(), e)
        .weight("wpe.weight", c.maxPositions(), e);
    for (int i = 0; i < c.numLayers(); i++) {
      b.layer(PREFIX + "h." + i + ".")
          .norm("ln_1.weight", e, TensorLayout.Init.ONES)
          .norm("ln_1.bias", e, TensorLayout.Init.ZEROS)
          .conv1d("attn.c_attn", e, 3 * e)
          .conv1d("attn.c_proj", e, e)
          .norm("ln_2.weight", e, TensorLayout.Init.ONES)
          .norm("ln_2.bias", e, TensorLayout.Init.ZEROS)
          .conv1d("mlp.c_fc", e, inner)
          .conv1d("mlp.c_proj", inner, e);
    }
    TensorLayout.GroupBuilder head =
        b.head("")
            .norm(PREFIX + "ln_f.weight", e, TensorLayout.Init.ONES)
            .norm(PREFIX + "ln_f.bias", e, TensorLayout.Init.ZEROS);
    if (!c.tieWordEmbeddings()) {
      head.weight("lm_head.weight", c.vocabSize(), e);
    }
    return b.build();
  }

  @Override
  NDArray embed(CausalLM m, NDArray ids, NDArray positions, LayerInputs in) {
    Weights emb = m.weights(PREFIX, in);
    return emb.embed("wte.weight", ids).add(emb.embed("wpe.weight", positions)); // (B, T, E)
  }

  @Override
  NDArray layer(CausalLM m, int i, NDArray x, LayerInputs in) {
    ModelConfig c = m.config();
    long b = in.batch();
    long t = in.tokens();
    int heads = c.numHeads();
    int d = c.headDim();
    Weights w = m.layer(i, in);
    NDArray h = layerNorm(x, w, "ln_1", c);
    NDList qkv = w.conv1d("attn.c_attn", h).split(3, 2); // 3 × (B, T, E)
    NDArray q = Attention.heads(qkv.get(0), b, t, heads, d); // (B, H, T, D)
    NDArray k = Attention.heads(qkv.get(1), b, t, heads, d);
    NDArray v = Attention.heads(qkv.get(2), b, t, heads, d);
    Attention.Spec spec = Attention.Spec.standard(d);
    NDArray a = Attention.attend(q, k, v, spec, i, c.window(i), in.mask(), in.cache()); // (B, T, E)
    x = x.add(w.conv1d("attn.c_proj", a));
    h = layerNorm(x, w, "ln_2", c);
    Mlp.Activation act = c.options(Options.class).activation();
    return x.add(w.conv1d("mlp.c_proj", act.apply(w.conv1d("mlp.c_fc", h)))); // (B, T, E)
  }

  @Override
  NDArray finalNorm(CausalLM m, NDArray x, LayerInputs in) {
    return layerNorm(x, m.weights(PREFIX, in), "ln_f", m.config()); // (B, T, E)
  }

  private static NDArray layerNorm(NDArray x, Weights w, String name, ModelConfig c) {
    return Norms.layerNorm(x, w.get(name + ".weight"), w.get(name + ".bias"), c.normEps());
  }

  @Override
  String outputWeight(ModelConfig c) {
    return c.tieWordEmbeddings() ? PREFIX + "wte.weight" : "lm_head.weight";
  }

  @Override
  public List<String> loraAutoTargets() {
    return List.of("c_attn", "attn.c_proj");
  }

  @Override
  public ObjectNode smallConfig(Size size, int vocabSize, int bosTokenId, int eosTokenId) {
    // GPT-2 has one special token, <|endoftext|>, for both BOS and EOS
    ObjectNode n = header(vocabSize, eosTokenId, eosTokenId);
    n.put("n_embd", size.hidden())
        .put("n_layer", size.layers())
        .put("n_head", size.heads())
        .put("n_positions", size.context());
    if (size.intermediate() > 0) {
      n.put("n_inner", size.intermediate());
    }
    return n;
  }

  /** Hub checkpoints omit the {@code transformer.} prefix. */
  @Override
  List<String> storedNames(String canonical) {
    return canonical.startsWith(PREFIX)
        ? List.of(canonical, canonical.substring(PREFIX.length()))
        : List.of(canonical);
  }

  /** GPT-2 checkpoints carry their causal masks as buffers. */
  @Override
  boolean isBuffer(String stored) {
    return super.isBuffer(stored)
        || stored.endsWith(".attn.bias")
        || stored.endsWith(".attn.masked_bias");
  }
}
