package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.ScoreResult;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.testing.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** LoRA views, merging and the PEFT format on tiny Llama, GPT-2, Qwen3 and Gemma 2 models. */
class LoraTest {
  private static final LoraConfig ALL =
      LoraConfig.of(4, 8, 0, "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj");
  private static final LoraConfig GPT2_ALL = LoraConfig.of(4, 8, 0, "c_attn,c_proj,c_fc");
  private static NDManager manager;
  @TempDir Path tmp;

  @BeforeAll
  static void open() {
    manager = NDManager.newBaseManager();
  }

  @AfterAll
  static void close() {
    manager.close();
  }

  private static ModelConfig config(String family) {
    return switch (family) {
      case "gpt2" -> TinyModels.gpt2();
      case "qwen3" -> TinyModels.qwen3();
      case "gemma2" -> TinyModels.gemma2();
      default -> TinyModels.llama();
    };
  }

  private static LoraConfig lora(String family) {
    return family.equals("gpt2") ? GPT2_ALL : ALL;
  }

  private static CausalLM base(String family) {
    CausalLM m = CausalLM.random(config(family), 5, manager);
    // log-probs away from uniform, activations moderate
    m.parameters().values().forEach(p -> p.muli(3f));
    return m;
  }

  /** Adapters with A and B both random (B ≠ 0), so the update is visible. */
  private static LoraAdapters trained(ModelConfig c, LoraConfig lora, long seed) {
    Random r = new Random(seed);
    Map<String, ai.djl.ndarray.types.Shape> shapes = lora.shapes(c);
    float[][] w = new float[shapes.size()][];
    int p = 0;
    for (ai.djl.ndarray.types.Shape s : shapes.values()) {
      w[p] = new float[(int) s.size()];
      for (int i = 0; i < w[p].length; i++) {
        w[p][i] = (float) (r.nextGaussian() * 0.1);
      }
      p++;
    }
    return LoraAdapters.fromWeights(c, lora, new ArrayList<>(shapes.keySet()), w, manager);
  }

  private static double[] logps(CausalLM model) {
    Random r = new Random(11);
    List<ScoreRequest> reqs = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      int[] prompt = r.ints(3 + i, 0, 256).toArray();
      int[] response = r.ints(5 + 2 * i, 0, 256).toArray();
      reqs.add(new ScoreRequest("r" + i, prompt, response));
    }
    return new SequenceScorer(model, 2, LengthPolicy.FAIL)
        .score(reqs).stream().mapToDouble(ScoreResult::logp).toArray();
  }

  private static double maxDiff(double[] a, double[] b) {
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      d = Math.max(d, Math.abs(a[i] - b[i]));
    }
    return d;
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "gpt2", "qwen3", "gemma2"})
  void adaptersAtInitGiveExactlyTheBaseLogps(String family) {
    try (CausalLM base = base(family);
        CausalLM view =
            base.withAdapters(LoraAdapters.init(base.config(), lora(family), 1, manager))) {
      assertArrayEquals(logps(base), logps(view)); // B = 0: the update is exactly 0
      for (String name : base.parameters().keySet()) {
        assertSame(base.param(name), view.param(name), "the view shares base weight " + name);
      }
      assertSame(base, view.base());
      assertEquals(
          lora(family).shapes(base.config()).keySet(), view.trainableParameters().keySet());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "gpt2", "qwen3", "gemma2"})
  void mergedModelEqualsBasePlusAdaptersAndExportsReload(String family) throws Exception {
    try (CausalLM base = base(family);
        CausalLM view = base.withAdapters(trained(base.config(), lora(family), 3));
        CausalLM merged = view.adapters().merge(base, manager)) {
      double[] adapted = logps(view);
      double[] plain = logps(base);
      assertTrue(
          maxDiff(adapted, plain) > 0.1,
          "the adapters change the model: " + maxDiff(adapted, plain));
      System.out.printf(
          "%s: adapters move log-probs by up to %.3f%n", family, maxDiff(adapted, plain));
      double d = maxDiff(adapted, logps(merged));
      System.out.printf("%s: merged vs base+adapters max |dlogp| = %.2e%n", family, d);
      assertTrue(d <= 1e-4, "merged differs by " + d);
      // the merged model in the HF layout, and the adapter in PEFT's, both reload to the same
      // log-probs
      Pretrained.save(merged, tmp.resolve("merged"), null);
      PeftAdapter.save(view.adapters(), "base/dir", tmp.resolve("adapter"));
      try (Pretrained m = Pretrained.load(tmp.resolve("merged"), manager);
          CausalLM reloaded =
              base.withAdapters(PeftAdapter.load(tmp.resolve("adapter"), base.config(), manager))) {
        assertTrue(maxDiff(adapted, logps(m.model())) <= 1e-4);
        assertArrayEquals(adapted, logps(reloaded));
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "gpt2", "qwen3", "gemma2"})
  void peftFileNamesShapesAndConfig(String family) throws Exception {
    ModelConfig c = config(family);
    LoraConfig lora = LoraConfig.of(4, 8, 0, "auto");
    try (LoraAdapters a = LoraAdapters.init(c, lora, 1, manager)) {
      PeftAdapter.save(a, "some/base", tmp);
    }
    JsonNode json = new ObjectMapper().readTree(tmp.resolve(PeftAdapter.CONFIG).toFile());
    assertEquals("LORA", json.get("peft_type").asText());
    assertEquals("CAUSAL_LM", json.get("task_type").asText());
    assertEquals(4, json.get("r").asInt());
    assertEquals(8.0, json.get("lora_alpha").asDouble());
    assertEquals("some/base", json.get("base_model_name_or_path").asText());
    assertEquals("none", json.get("bias").asText());
    assertEquals(family.equals("gpt2"), json.get("fan_in_fan_out").asBoolean());
    try (SafeTensorsFile f = SafeTensorsFile.open(tmp.resolve(PeftAdapter.WEIGHTS))) {
      if (family.equals("gpt2")) {
        assertEquals("[\"c_attn\",\"attn.c_proj\"]", json.get("target_modules").toString());
        assertArrayEquals(
            new long[] {4, 32},
            f.entries().get("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight").shape());
        assertArrayEquals(
            new long[] {96, 4},
            f.entries().get("base_model.model.transformer.h.0.attn.c_attn.lora_B.weight").shape());
        assertEquals(2 * 2 * 2, f.entries().size()); // 2 layers × (c_attn, attn.c_proj) × (A, B)
      } else {
        assertEquals(
            "[\"q_proj\",\"k_proj\",\"v_proj\",\"o_proj\"]", json.get("target_modules").toString());
        assertArrayEquals(
            new long[] {4, 32},
            f.entries()
                .get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight")
                .shape());
        assertArrayEquals(
            new long[] {(long) c.numKvHeads() * c.headDim(), 4}, // llama: 2 KV heads × head dim 8
            f.entries()
                .get("base_model.model.model.layers.1.self_attn.k_proj.lora_B.weight")
                .shape());
        assertEquals(2 * 4 * 2, f.entries().size());
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"llama", "gpt2", "qwen3", "gemma2"})
  void aTargetThatMatchesNothingIsRefusedWithTheProjectionsNamed(String family) {
    ModelException e =
        assertThrows(
            ModelException.class,
            () -> LoraConfig.of(4, 8, 0, "q_proj,qkv").modules(config(family)));
    String expected =
        family.equals("gpt2")
            ? "lora.targets: 'q_proj' matches no projection of gpt2 (its projections:"
                + " c_attn, c_proj, c_fc)"
            : "lora.targets: 'qkv' matches no projection of "
                + family
                + " (its projections: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj,"
                + " down_proj)";
    assertEquals(expected, e.getMessage());
  }
}
