package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.model.ModelFamily.Size;
import dev.d2o.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The family registry and what derives from a family's declaration: parameter counts of published
 * models, the grouping of tensors by layer, the attention window of each layer as the Hugging Face
 * configs decide it, BOS defaults, and the config errors of the new families.
 */
class ModelFamiliesTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  private static ModelConfig parse(String json) throws Exception {
    return ModelConfig.fromJson((ObjectNode) JSON.readTree(json), "m/config.json");
  }

  private static String error(String json) {
    return assertThrows(ModelException.class, () -> parse(json)).getMessage();
  }

  @Test
  void registryListsEveryFamilyOnce() {
    assertEquals(
        List.of("gpt2", "llama", "mistral", "qwen2", "qwen3", "gemma2"), ModelFamilies.types());
    for (String type : ModelFamilies.types()) {
      assertEquals(type, ModelFamilies.get(type).modelType());
    }
    assertEquals(
        "unknown model_type 'mamba'; supported model types: gpt2, llama, mistral, qwen2, qwen3,"
            + " gemma2",
        assertThrows(ModelException.class, () -> ModelFamilies.get("mamba")).getMessage());
  }

  /**
   * Counts from the published config.json of each model, as transformers' {@code num_parameters()}
   * gives them (a tied head counted once): GPT-2 124,439,808; Llama 3.2 1B 1,235,814,400; Qwen3
   * 0.6B 596,049,920; Gemma 2 2B 2,614,341,888.
   */
  @Test
  void parameterCountsOfPublishedModels() throws Exception {
    assertEquals(
        124_439_808L,
        parse(
                "{\"model_type\":\"gpt2\",\"vocab_size\":50257,\"n_embd\":768,\"n_layer\":12,"
                    + "\"n_head\":12,\"n_positions\":1024}")
            .parameterCount());
    assertEquals(
        1_235_814_400L,
        parse(
                "{\"model_type\":\"llama\",\"vocab_size\":128256,\"hidden_size\":2048,"
                    + "\"intermediate_size\":8192,\"num_hidden_layers\":16,\"num_attention_heads\":32,"
                    + "\"num_key_value_heads\":8,\"head_dim\":64,\"max_position_embeddings\":131072,"
                    + "\"tie_word_embeddings\":true,\"rope_theta\":500000.0,\"rope_scaling\":{"
                    + "\"factor\":32.0,\"high_freq_factor\":4.0,\"low_freq_factor\":1.0,"
                    + "\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"}}")
            .parameterCount());
    assertEquals(
        596_049_920L,
        parse(
                "{\"model_type\":\"qwen3\",\"vocab_size\":151936,\"hidden_size\":1024,"
                    + "\"intermediate_size\":3072,\"num_hidden_layers\":28,\"num_attention_heads\":16,"
                    + "\"num_key_value_heads\":8,\"head_dim\":128,\"max_position_embeddings\":40960,"
                    + "\"tie_word_embeddings\":true,\"rope_theta\":1000000,\"use_sliding_window\":false,"
                    + "\"sliding_window\":null,\"max_window_layers\":28,\"attention_bias\":false}")
            .parameterCount());
    assertEquals(
        2_614_341_888L,
        parse(
                "{\"model_type\":\"gemma2\",\"vocab_size\":256000,\"hidden_size\":2304,"
                    + "\"intermediate_size\":9216,\"num_hidden_layers\":26,\"num_attention_heads\":8,"
                    + "\"num_key_value_heads\":4,\"head_dim\":256,\"max_position_embeddings\":8192,"
                    + "\"query_pre_attn_scalar\":256,\"sliding_window\":4096}")
            .parameterCount());
  }

  @Test
  void tensorsAreGroupedByEmbeddingLayerAndHead() {
    for (ModelConfig c : TinyModels.all()) {
      TensorLayout layout = c.tensors();
      assertEquals(c.numLayers(), layout.layers().size(), c.modelType());
      List<TensorLayout.Tensor> all = new ArrayList<>(layout.embedding().tensors());
      long perLayer = layout.layers().get(0).parameterCount();
      for (int i = 0; i < c.numLayers(); i++) {
        TensorLayout.Group g = layout.layers().get(i);
        assertTrue(g.prefix().endsWith("." + i + "."), g.prefix());
        for (TensorLayout.Tensor t : g.tensors()) {
          assertTrue(t.name().startsWith(g.prefix()), t.name() + " in layer " + i);
        }
        assertEquals(perLayer, g.parameterCount(), c.modelType() + " layer " + i);
        all.addAll(g.tensors());
      }
      all.addAll(layout.head().tensors());
      assertEquals(layout.tensors(), all);
      long groups =
          layout.embedding().parameterCount()
              + perLayer * c.numLayers()
              + layout.head().parameterCount();
      assertEquals(c.parameterCount(), groups, c.modelType());
      try (NDManager m = NDManager.newBaseManager();
          CausalLM model = CausalLM.random(c, 1, m)) {
        assertEquals(
            List.copyOf(layout.shapes().keySet()), List.copyOf(model.parameters().keySet()));
        long loaded = model.parameters().values().stream().mapToLong(a -> a.size()).sum();
        assertEquals(c.parameterCount(), loaded, c.modelType());
      }
    }
  }

  @Test
  void qwenWindowsFollowUseSlidingWindowAndMaxWindowLayers() throws Exception {
    String base =
        "{\"vocab_size\":64,\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":4,"
            + "\"num_attention_heads\":4,\"num_key_value_heads\":2,\"head_dim\":8,"
            + "\"max_position_embeddings\":64";
    for (String type : List.of("qwen2", "qwen3")) {
      String t = base + ",\"model_type\":\"" + type + "\"";
      assertEquals(List.of(0, 0, 0, 0), parse(t + ",\"sliding_window\":8}").layerWindows());
      assertEquals(
          List.of(0, 0, 8, 8),
          parse(t + ",\"use_sliding_window\":true,\"sliding_window\":8,\"max_window_layers\":2}")
              .layerWindows());
      assertEquals(
          List.of(0, 0, 0, 0), // max_window_layers defaults to 28
          parse(t + ",\"use_sliding_window\":true,\"sliding_window\":8}").layerWindows());
      assertEquals(
          List.of(0, 0, 0, 0),
          parse(t + ",\"use_sliding_window\":true,\"sliding_window\":null,\"max_window_layers\":0}")
              .layerWindows());
      assertEquals(
          List.of(8, 0, 8, 0),
          parse(
                  t
                      + ",\"use_sliding_window\":true,\"sliding_window\":8,\"layer_types\":"
                      + "[\"sliding_attention\",\"full_attention\",\"sliding_attention\","
                      + "\"full_attention\"]}")
              .layerWindows());
    }
  }

  @Test
  void gemma2AndMistralWindows() throws Exception {
    String gemma =
        "{\"model_type\":\"gemma2\",\"vocab_size\":64,\"hidden_size\":32,\"intermediate_size\":64,"
            + "\"num_hidden_layers\":3,\"num_attention_heads\":4,\"num_key_value_heads\":2,"
            + "\"head_dim\":8,\"max_position_embeddings\":64";
    assertEquals(List.of(4096, 0, 4096), parse(gemma + "}").layerWindows()); // even layers slide
    assertEquals(List.of(6, 0, 6), parse(gemma + ",\"sliding_window\":6}").layerWindows());
    assertEquals(List.of(0, 0, 0), parse(gemma + ",\"sliding_window\":null}").layerWindows());
    assertEquals(
        List.of(0, 6, 6),
        parse(
                gemma
                    + ",\"sliding_window\":6,\"layer_types\":[\"full_attention\","
                    + "\"sliding_attention\",\"sliding_attention\"]}")
            .layerWindows());
    String mistral =
        "{\"model_type\":\"mistral\",\"vocab_size\":64,\"hidden_size\":32,\"intermediate_size\":64,"
            + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"max_position_embeddings\":64";
    assertEquals(List.of(5, 5), parse(mistral + ",\"sliding_window\":5}").layerWindows());
    assertEquals(List.of(0, 0), parse(mistral + ",\"sliding_window\":null}").layerWindows());
  }

  @Test
  void gemma2OptionsAndDefaultsAreHuggingFaces() throws Exception {
    String gemma =
        "{\"model_type\":\"gemma2\",\"vocab_size\":64,\"hidden_size\":32,\"intermediate_size\":64,"
            + "\"num_hidden_layers\":2,\"num_attention_heads\":4,\"max_position_embeddings\":64";
    ModelConfig c = parse(gemma + "}");
    Gemma2Family.Options o = c.options(Gemma2Family.Options.class);
    assertEquals(256, c.headDim()); // Gemma2Config's defaults
    assertEquals(4, c.numKvHeads());
    assertTrue(c.tieWordEmbeddings());
    assertEquals(1 / Math.sqrt(256), o.attention().scale(), 0);
    assertEquals(50.0, o.attention().softcap(), 0);
    assertEquals(30.0, o.finalSoftcap(), 0);
    assertEquals(Mlp.Activation.GELU_TANH, o.activation());
    o =
        parse(gemma + ",\"attn_logit_softcapping\":null,\"final_logit_softcapping\":null}")
            .options(Gemma2Family.Options.class);
    assertEquals(0, o.attention().softcap(), 0); // null switches capping off
    assertEquals(0, o.finalSoftcap(), 0);
    assertEquals(
        "use_bidirectional_attention=true in m/config.json is not supported",
        error(gemma + ",\"use_bidirectional_attention\":true}"));
    assertEquals(
        "hidden_activation 'relu' in m/config.json is not supported; supported: gelu_new,"
            + " gelu_pytorch_tanh, gelu",
        error(gemma + ",\"hidden_activation\":\"relu\"}"));
    assertEquals(
        "key 'layer_types' in m/config.json is [\"full_attention\"]; expected a list of 2 layer"
            + " types",
        error(gemma + ",\"layer_types\":[\"full_attention\"]}"));
    assertEquals(
        "layer type \"chunked_attention\" in m/config.json is not supported; supported:"
            + " sliding_attention, full_attention",
        error(gemma + ",\"layer_types\":[\"full_attention\",\"chunked_attention\"]}"));
    assertEquals(
        "key 'attn_logit_softcapping' in m/config.json is -1; expected a positive number",
        error(gemma + ",\"attn_logit_softcapping\":-1}"));
  }

  @Test
  void qwen3HeadDimDefaultsTo128AndNormsTheHeads() throws Exception {
    ModelConfig c =
        parse(
            "{\"model_type\":\"qwen3\",\"vocab_size\":64,\"hidden_size\":32,"
                + "\"intermediate_size\":64,\"num_hidden_layers\":1,\"num_attention_heads\":2,"
                + "\"max_position_embeddings\":64}");
    assertEquals(128, c.headDim()); // Qwen3Config.head_dim, whatever the width
    Map<String, Shape> shapes = c.tensors().shapes();
    assertEquals(new Shape(256, 32), shapes.get("model.layers.0.self_attn.q_proj.weight"));
    assertEquals(new Shape(128), shapes.get("model.layers.0.self_attn.q_norm.weight"));
    assertFalse(shapes.containsKey("model.layers.0.self_attn.q_proj.bias"));
  }

  /** BOS without add_bos_token in tokenizer_config.json: the default of each tokenizer class. */
  @Test
  void bosDefaultsFollowTheFamilysTokenizer() {
    Map<String, Boolean> expected =
        Map.of(
            "gpt2", false,
            "llama", true,
            "mistral", true,
            "qwen2", false,
            "qwen3", false,
            "gemma2", true);
    for (String type : ModelFamilies.types()) {
      ModelConfig c =
          ModelFamilies.get(type)
              .config(Size.of(32, 1, 4, 64), TinyModels.VOCAB, TinyModels.BOS, TinyModels.EOS);
      Path dir = TinyModels.writeRandom(c, 1, tmp.resolve(type));
      try (NDManager m = NDManager.newBaseManager();
          Pretrained p = Pretrained.load(dir, m)) {
        assertEquals(expected.get(type), p.tokenizer().addsBos(), type);
      }
    }
  }
}
