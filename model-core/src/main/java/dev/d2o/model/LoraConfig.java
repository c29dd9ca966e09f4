package dev.d2o.model;

import ai.djl.ndarray.types.Shape;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Low-rank adapters (LoRA, Hu et al. 2021, arXiv:2106.09685) on a set of projections: y = W·x + b +
 * (α/r)·B·(A·x) with A (r, in) and B (out, r). Targets are matched as PEFT's {@code target_modules}
 * list: a module is adapted when its path equals a target or ends with {@code "." + target} (so
 * {@code c_proj} adapts both GPT-2 {@code attn.c_proj} and {@code mlp.c_proj}, and {@code
 * attn.c_proj} only the first).
 *
 * @param rank r ≥ 1
 * @param alpha α &gt; 0; the update is scaled by α/r
 * @param dropout dropout on the adapter input as PEFT's {@code lora_dropout} (recorded; training
 *     applies none)
 * @param targets target module names, or {@value #AUTO} for the attention projections of the family
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /**
   * The attention projections, as the family names them ({@link ModelFamily#loraAutoTargets()}):
   * Llama-style {@code q_proj,k_proj,v_proj,o_proj}; GPT-2 {@code c_attn,attn.c_proj}.
   */
  public static final String AUTO = "auto";

  /**
   * A projection that can carry an adapter: its module path, the Linear's in/out features, and
   * whether its weight is stored (in, out) as GPT-2's Conv1D (PEFT's {@code fan_in_fan_out}).
   */
  public record Module(String path, long in, long out, boolean conv1d) {}

  public LoraConfig {
    if (rank < 1) {
      throw new ModelException("lora.rank must be ≥ 1 for adapters, got " + rank);
    }
    if (!(alpha > 0) || Double.isInfinite(alpha)) {
      throw new ModelException("lora.alpha must be a number > 0, got " + alpha);
    }
    if (!(dropout >= 0 && dropout < 1)) {
      throw new ModelException("lora.dropout must be in [0, 1), got " + dropout);
    }
    targets = List.copyOf(targets);
    if (targets.isEmpty() || targets.stream().anyMatch(String::isBlank)) {
      throw new ModelException("lora.targets must name at least one module, got " + targets);
    }
  }

  /** Parses comma-separated {@code targets}. */
  public static LoraConfig of(int rank, double alpha, double dropout, String targets) {
    return new LoraConfig(
        rank, alpha, dropout, Arrays.stream(targets.split(",")).map(String::trim).toList());
  }

  /** α/r. */
  public double scale() {
    return alpha / rank;
  }

  /** The targets with {@value #AUTO} replaced by the family's attention projections. */
  public List<String> resolvedTargets(ModelConfig model) {
    Set<String> out = new LinkedHashSet<>();
    for (String t : targets) {
      if (t.equals(AUTO)) {
        out.addAll(model.family().loraAutoTargets());
      } else {
        out.add(t);
      }
    }
    return List.copyOf(out);
  }

  /**
   * The adapted projections of {@code model}, in checkpoint order; fails when a target matches none
   * (naming the projections there are).
   */
  public List<Module> modules(ModelConfig model) {
    List<Module> all = new ArrayList<>();
    for (TensorLayout.Projection p : model.tensors().projections()) {
      all.add(new Module(p.module(), p.in(), p.out(), p.conv1d()));
    }
    List<String> wanted = resolvedTargets(model);
    List<Module> out = new ArrayList<>();
    Set<String> matched = new LinkedHashSet<>();
    for (Module m : all) {
      for (String t : wanted) {
        if (m.path().equals(t) || m.path().endsWith("." + t)) {
          out.add(m);
          matched.add(t);
          break;
        }
      }
    }
    for (String t : wanted) {
      if (!matched.contains(t)) {
        Set<String> names = new LinkedHashSet<>();
        all.forEach(m -> names.add(m.path().substring(m.path().lastIndexOf('.') + 1)));
        throw new ModelException(
            "lora.targets: '"
                + t
                + "' matches no projection of "
                + model.modelType()
                + " (its projections: "
                + String.join(", ", names)
                + ")");
      }
    }
    return out;
  }

  /**
   * Adapter tensor names ({@code <module>.lora_A.weight} (r, in), {@code <module>.lora_B.weight}
   * (out, r)).
   */
  public Map<String, Shape> shapes(ModelConfig model) {
    Map<String, Shape> out = new LinkedHashMap<>();
    for (Module m : modules(model)) {
      out.put(m.path() + ".lora_A.weight", new Shape(rank, m.in()));
      out.put(m.path() + ".lora_B.weight", new Shape(m.out(), rank));
    }
    return out;
  }
}
