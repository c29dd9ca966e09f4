package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The adapter weights of a {@link LoraConfig} on one base architecture: per adapted module A (r,
 * in) and B (out, r), named {@code <module>.lora_A.weight} / {@code <module>.lora_B.weight} (PEFT's
 * names without its {@code base_model.model.} prefix). A model carries them through {@link
 * CausalLM#withAdapters}; the base weights stay where they are, shared.
 */
public final class LoraAdapters implements AutoCloseable {
  private final ModelConfig model;
  private final LoraConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final Map<String, NDArray[]> byModule = new HashMap<>();
  private final Map<String, Boolean> conv1d = new HashMap<>();
  private final float scale;

  private LoraAdapters(
      ModelConfig model, LoraConfig config, NDManager manager, Map<String, NDArray> params) {
    this.model = model;
    this.config = config;
    this.manager = manager;
    this.params = Collections.unmodifiableMap(params);
    this.scale = (float) config.scale();
    for (LoraConfig.Module m : config.modules(model)) {
      byModule.put(
          m.path(),
          new NDArray[] {param(m.path() + ".lora_A.weight"), param(m.path() + ".lora_B.weight")});
      conv1d.put(m.path(), m.conv1d());
    }
  }

  /**
   * Fresh adapters as PEFT initialises them: A ~ U(−1/√in, 1/√in) (kaiming_uniform_ with a = √5), B
   * = 0, so the adapted model equals the base. Drawn with {@link Random}{@code (seed)}: the same on
   * every engine.
   */
  public static LoraAdapters init(
      ModelConfig model, LoraConfig config, long seed, NDManager parent) {
    Random rnd = new Random(seed);
    Map<String, Shape> shapes = config.shapes(model);
    float[][] w = new float[shapes.size()][];
    int p = 0;
    for (Map.Entry<String, Shape> e : shapes.entrySet()) {
      w[p] = new float[Math.toIntExact(e.getValue().size())];
      if (e.getKey().endsWith(".lora_A.weight")) {
        double bound = 1 / Math.sqrt(e.getValue().get(1));
        for (int i = 0; i < w[p].length; i++) {
          w[p][i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
      }
      p++;
    }
    return fromWeights(model, config, List.copyOf(shapes.keySet()), w, parent);
  }

  /**
   * Adapters over plain weights ({@code names[i]} → {@code weights[i]}, every adapter tensor once);
   * copied.
   */
  public static LoraAdapters fromWeights(
      ModelConfig model,
      LoraConfig config,
      List<String> names,
      float[][] weights,
      NDManager parent) {
    Map<String, Shape> shapes = config.shapes(model);
    if (!shapes.keySet().equals(new HashSet<>(names)) || names.size() != weights.length) {
      throw new ModelException(
          "adapter weights "
              + names
              + " do not match the adapters of "
              + config
              + " on "
              + model.modelType()
              + ": expected "
              + shapes.keySet());
    }
    NDManager m = parent.newSubManager();
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (String name : shapes.keySet()) {
      int i = names.indexOf(name);
      if (weights[i].length != shapes.get(name).size()) {
        m.close();
        throw new ModelException(
            "adapter tensor '"
                + name
                + "' has "
                + weights[i].length
                + " values; expected shape "
                + shapes.get(name));
      }
      params.put(name, m.create(weights[i], shapes.get(name)));
    }
    return new LoraAdapters(model, config, m, params);
  }

  /** The adapter configuration. */
  public LoraConfig config() {
    return config;
  }

  /** The base architecture. */
  public ModelConfig modelConfig() {
    return model;
  }

  /** The manager owning the adapter arrays. */
  public NDManager manager() {
    return manager;
  }

  /** The adapter weights by name, in checkpoint order (A then B per module). */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** Adapter floats in all: what trains, travels and is checkpointed. */
  public long size() {
    return params.values().stream().mapToLong(NDArray::size).sum();
  }

  private NDArray param(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new ModelException("no adapter tensor '" + name + "'");
    }
    return a;
  }

  /**
   * (α/r)·B·(A·x) for {@code module}'s input x (…, in), or null when the module carries no adapter.
   */
  NDArray delta(String module, NDArray x) {
    NDArray[] ab = byModule.get(module);
    if (ab == null) {
      return null;
    }
    NDArray h = CausalLM.linear(x, ab[0], null); // (…, r)
    NDArray out = CausalLM.linear(h, ab[1], null); // (…, out)
    return out.mul(Scalars.of(out, scale));
  }

  /** Whether the weight {@code name} ({@code <module>.weight}) carries an adapter. */
  public boolean adapts(String name) {
    return name.endsWith(".weight") && byModule.containsKey(module(name));
  }

  /**
   * W + (α/r)·B·A for the weight {@code name} given as F32 {@code w} (transposed to (in, out) for
   * GPT-2's Conv1D): a new array in {@code w}'s manager.
   */
  public NDArray mergedWeight(String name, NDArray w) {
    String module = module(name);
    NDArray[] ab = byModule.get(module);
    try (NDArray ba = ab[1].matMul(ab[0]);
        NDArray delta = ba.mul(scale)) { // (out, in)
      NDArray d = delta.toDevice(w.getDevice(), false);
      NDArray merged = w.add(conv1d.get(module) ? d.transpose() : d);
      if (d != delta) {
        d.close();
      }
      return merged;
    }
  }

  private static String module(String weightName) {
    return weightName.substring(0, weightName.length() - ".weight".length());
  }

  /**
   * The base with the adapters folded in, as a plain model: W' = W + (α/r)·B·A, transposed to (in,
   * out) for GPT-2's Conv1D. The merged weights are new arrays in a sub-manager of {@code parent}.
   * The base must be F32; {@link ModelWriter#saveMerged} streams a merge of any base to disk.
   */
  public CausalLM merge(CausalLM base, NDManager parent) {
    NDManager m = parent.newSubManager();
    Map<String, NDArray> merged = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> e : base.parameters().entrySet()) {
      NDArray w =
          adapts(e.getKey()) ? mergedWeight(e.getKey(), e.getValue()) : e.getValue().duplicate();
      w.attach(m);
      merged.put(e.getKey(), w);
    }
    return CausalLM.of(base.config(), merged, m);
  }

  @Override
  public void close() {
    manager.close();
  }

  @Override
  public String toString() {
    return "LoRA[r="
        + config.rank()
        + ", alpha="
        + config.alpha()
        + ", "
        + byModule.size()
        + " modules, "
        + size()
        + " parameters]";
  }
}
