package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * LoRA adapters in Hugging Face PEFT's format, so that {@code PeftModel.from_pretrained(base, dir)}
 * loads them: {@value #CONFIG} ({@code peft_type "LORA"}, {@code r}, {@code lora_alpha}, {@code
 * target_modules}, ...) and {@value #WEIGHTS} with tensors {@code
 * base_model.model.<module>.lora_A.weight} (r, in) and {@code ...lora_B.weight} (out, r), as {@code
 * get_peft_model_state_dict} names them (adapter name removed).
 */
public final class PeftAdapter {
  public static final String CONFIG = "adapter_config.json";
  public static final String WEIGHTS = "adapter_model.safetensors";
  static final String PREFIX = "base_model.model.";
  private static final Logger LOG = LoggerFactory.getLogger(PeftAdapter.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private PeftAdapter() {}

  /** Whether {@code dir} holds a PEFT adapter. */
  public static boolean isAdapter(Path dir) {
    return Files.isRegularFile(dir.resolve(CONFIG));
  }

  /**
   * Writes {@code adapters} to {@code out}.
   *
   * @param baseModel the base model's path or Hub name, written as {@code base_model_name_or_path}
   */
  public static void save(LoraAdapters adapters, String baseModel, Path out) throws IOException {
    Files.createDirectories(out);
    LoraConfig c = adapters.config();
    ModelConfig model = adapters.modelConfig();
    ObjectNode n = JSON.createObjectNode();
    n.put("peft_type", "LORA");
    n.put("task_type", "CAUSAL_LM");
    n.put("r", c.rank());
    n.put("lora_alpha", c.alpha());
    n.put("lora_dropout", c.dropout());
    n.set("target_modules", JSON.valueToTree(c.resolvedTargets(model)));
    n.put("base_model_name_or_path", baseModel == null ? "" : baseModel);
    n.put("bias", "none");
    // PEFT's one flag for weights stored (in, out), as GPT-2's Conv1D stores them
    n.put("fan_in_fan_out", c.modules(model).stream().anyMatch(LoraConfig.Module::conv1d));
    n.put("inference_mode", true);
    n.put("init_lora_weights", true);
    n.put("use_rslora", false);
    n.put("use_dora", false);
    n.putNull("modules_to_save");
    n.putNull("layers_to_transform");
    n.putObject("rank_pattern");
    n.putObject("alpha_pattern");
    Pretrained.writeAtomically(
        out.resolve(CONFIG), os -> JSON.writerWithDefaultPrettyPrinter().writeValue(os, n));
    Map<String, NDArray> tensors = new LinkedHashMap<>();
    adapters.parameters().forEach((k, v) -> tensors.put(PREFIX + k, v));
    Pretrained.writeAtomically(
        out.resolve(WEIGHTS), os -> SafeTensorsWriter.write(os, tensors, Map.of()));
  }

  /**
   * Reads the LoRA configuration of the adapter in {@code dir}; refuses PEFT features this trainer
   * lacks.
   */
  public static LoraConfig readConfig(Path dir) {
    JsonNode n = readJson(dir);
    String type = n.path("peft_type").asText("");
    if (!type.equals("LORA")) {
      throw new ModelException(
          dir.resolve(CONFIG) + ": peft_type is '" + type + "'; only LORA adapters load");
    }
    refuse(dir, n.path("use_rslora").asBoolean(false), "use_rslora = true (scale α/√r)");
    refuse(dir, n.path("use_dora").asBoolean(false), "use_dora = true");
    refuse(dir, !n.path("bias").asText("none").equals("none"), "bias = " + n.path("bias"));
    refuse(
        dir,
        n.path("rank_pattern").size() > 0 || n.path("alpha_pattern").size() > 0,
        "per-module rank_pattern / alpha_pattern");
    refuse(
        dir,
        !n.path("layers_to_transform").isNull() && !n.path("layers_to_transform").isMissingNode(),
        "layers_to_transform");
    refuse(
        dir,
        !n.path("modules_to_save").isNull()
            && !n.path("modules_to_save").isMissingNode()
            && n.path("modules_to_save").size() > 0,
        "modules_to_save");
    JsonNode targets = n.path("target_modules");
    List<String> list = new ArrayList<>();
    if (targets.isArray()) {
      targets.forEach(t -> list.add(t.asText()));
    } else if (targets.isTextual()) {
      // a regular expression in PEFT: matched against the file's tensors below
      list.add(targets.asText());
    }
    double dropout = n.path("lora_dropout").asDouble(0);
    return new LoraConfig(
        n.path("r").asInt(0), n.path("lora_alpha").asDouble(Double.NaN), dropout, list);
  }

  /** The {@code base_model_name_or_path} of the adapter in {@code dir} ("" when absent). */
  public static String baseModel(Path dir) {
    return readJson(dir).path("base_model_name_or_path").asText("");
  }

  /**
   * Loads the adapter in {@code dir} for a base of architecture {@code model}. The file's tensors
   * must be exactly the adapters its {@code target_modules} select on that architecture, with their
   * shapes.
   */
  public static LoraAdapters load(Path dir, ModelConfig model, NDManager parent) {
    LoraConfig config = readConfig(dir);
    try (SafeTensorsFile f = SafeTensorsFile.open(dir.resolve(WEIGHTS));
        NDManager tmp = parent.newSubManager()) {
      Set<String> stored = new LinkedHashSet<>();
      for (String name : f.entries().keySet()) {
        if (!name.startsWith(PREFIX)) {
          throw new ModelException(
              f.path() + ": tensor '" + name + "' lacks PEFT's '" + PREFIX + "' prefix");
        }
        stored.add(name.substring(PREFIX.length()).replace(".default.weight", ".weight"));
      }
      Map<String, Shape> shapes;
      try {
        shapes = config.shapes(model);
      } catch (ModelException e) {
        // a regular-expression target_modules: take the adapted modules from the tensors themselves
        Set<String> modules = new LinkedHashSet<>();
        stored.forEach(s -> modules.add(s.replaceAll("\\.lora_[AB]\\.weight$", "")));
        config =
            new LoraConfig(config.rank(), config.alpha(), config.dropout(), List.copyOf(modules));
        shapes = config.shapes(model);
      }
      if (!shapes.keySet().equals(stored)) {
        Set<String> missing = new LinkedHashSet<>(shapes.keySet());
        missing.removeAll(stored);
        Set<String> extra = new LinkedHashSet<>(stored);
        extra.removeAll(shapes.keySet());
        throw new ModelException(
            dir
                + " does not hold the adapters its config names for "
                + model.modelType()
                + ": missing "
                + missing
                + ", unexpected "
                + extra);
      }
      if (config.dropout() > 0) {
        LOG.warn(
            "{}: lora_dropout = {} is recorded but not applied by this trainer",
            dir,
            config.dropout());
      }
      List<String> names = new ArrayList<>(shapes.keySet());
      float[][] w = new float[names.size()][];
      for (int i = 0; i < w.length; i++) {
        String key =
            f.entries().containsKey(PREFIX + names.get(i))
                ? PREFIX + names.get(i)
                : PREFIX + names.get(i).replace(".weight", ".default.weight");
        NDArray a = f.loadF32(key, tmp);
        if (!a.getShape().equals(shapes.get(names.get(i)))) {
          throw new ModelException(
              f.path()
                  + ": tensor '"
                  + key
                  + "' has shape "
                  + a.getShape()
                  + "; expected "
                  + shapes.get(names.get(i))
                  + " (r = "
                  + config.rank()
                  + ")");
        }
        w[i] = a.toFloatArray();
      }
      return LoraAdapters.fromWeights(model, config, names, w, parent);
    }
  }

  private static void refuse(Path dir, boolean condition, String what) {
    if (condition) {
      throw new ModelException(dir.resolve(CONFIG) + ": " + what + " is not supported");
    }
  }

  private static JsonNode readJson(Path dir) {
    try {
      return JSON.readTree(dir.resolve(CONFIG).toFile());
    } catch (IOException e) {
      throw new ModelException(
          "cannot read PEFT adapter config " + dir.resolve(CONFIG) + ": " + e.getMessage(), e);
    }
  }
}
