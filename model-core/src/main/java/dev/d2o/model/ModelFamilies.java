package dev.d2o.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The model families this project runs, by {@code model_type} (Hugging Face's auto-class mapping in
 * one table). Adding a family is one new file in this package plus its line here.
 */
public final class ModelFamilies {
  private static final Map<String, ModelFamily> BY_TYPE = new LinkedHashMap<>();

  static {
    for (ModelFamily f :
        List.of(
            new Gpt2Family(),
            new LlamaFamily(),
            new MistralFamily(),
            new Qwen2Family(),
            new Qwen3Family(),
            new Gemma2Family())) {
      BY_TYPE.put(f.modelType(), f);
    }
  }

  private ModelFamilies() {}

  /** The supported {@code model_type} values, in the order the README lists them. */
  public static List<String> types() {
    return List.copyOf(BY_TYPE.keySet());
  }

  /** The family of {@code modelType}; an unknown type names the supported ones. */
  public static ModelFamily get(String modelType) {
    ModelFamily f = BY_TYPE.get(modelType);
    if (f == null) {
      throw new ModelException(
          "unknown model_type '"
              + modelType
              + "'; supported model types: "
              + String.join(", ", types()));
    }
    return f;
  }

  /** The family of {@code modelType}, or null. */
  static ModelFamily find(String modelType) {
    return BY_TYPE.get(modelType);
  }
}
