package dev.d2o.model;

import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The tensors of one architecture as its family declares them, in checkpoint order and grouped as
 * the model runs them: the embedding, each decoder layer, and the head (final norm and, when not
 * tied, the output projection). Everything that needs names or shapes derives from this
 * declaration: loading and saving, parameter counts, random initialisation, LoRA targets and their
 * weight layout, and (for placing layers on devices) the bytes of each group.
 */
public final class TensorLayout {
  /** How a random model initialises a tensor (Hugging Face's {@code _init_weights}). */
  public enum Init {
    /** N(0, 0.02²). */
    NORMAL,
    /** 1 (the scale of a LayerNorm or RMSNorm). */
    ONES,
    /** 0 (biases; Gemma's RMSNorm, which scales by 1 + w). */
    ZEROS
  }

  /**
   * A Linear or Conv1D module that LoRA may adapt.
   *
   * @param module the module path (the weight's name without {@code .weight})
   * @param in input features
   * @param out output features
   * @param conv1d whether the weight is stored (in, out) as GPT-2's Conv1D, not (out, in)
   */
  public record Projection(String module, long in, long out, boolean conv1d) {}

  /**
   * One declared tensor.
   *
   * @param name the Hugging Face name
   * @param shape its shape
   * @param init how a random model fills it
   * @param projection the module this is the weight of, or null
   */
  public record Tensor(String name, Shape shape, Init init, Projection projection) {
    /** Number of values. */
    public long size() {
      return shape.size();
    }
  }

  /**
   * The tensors of the embedding, of one layer or of the head.
   *
   * @param prefix the common prefix of the group's names that the forward pass resolves relative
   *     names against ({@code model.layers.3.}); "" for the head, whose names differ
   * @param tensors in checkpoint order
   */
  public record Group(String prefix, List<Tensor> tensors) {
    /** Values in the group. */
    public long parameterCount() {
      return tensors.stream().mapToLong(Tensor::size).sum();
    }
  }

  private final Group embedding;
  private final List<Group> layers;
  private final Group head;

  private TensorLayout(Group embedding, List<Group> layers, Group head) {
    this.embedding = embedding;
    this.layers = List.copyOf(layers);
    this.head = head;
  }

  /** The input embedding (and GPT-2's learned positions). */
  public Group embedding() {
    return embedding;
  }

  /** The decoder layers, layer i at index i. */
  public List<Group> layers() {
    return layers;
  }

  /** The final norm and the output projection (absent when tied to the embedding). */
  public Group head() {
    return head;
  }

  /** Every tensor in checkpoint order: embedding, layers, head. */
  public List<Tensor> tensors() {
    List<Tensor> out = new ArrayList<>(embedding.tensors());
    layers.forEach(l -> out.addAll(l.tensors()));
    out.addAll(head.tensors());
    return out;
  }

  /** Name → shape in checkpoint order. */
  public Map<String, Shape> shapes() {
    Map<String, Shape> out = new LinkedHashMap<>();
    tensors().forEach(t -> out.put(t.name(), t.shape()));
    return Collections.unmodifiableMap(out);
  }

  /** The projections LoRA may adapt, in checkpoint order. */
  public List<Projection> projections() {
    return tensors().stream().map(Tensor::projection).filter(p -> p != null).toList();
  }

  /** Number of parameters (a tied head counted once). */
  public long parameterCount() {
    return tensors().stream().mapToLong(Tensor::size).sum();
  }

  static Builder builder() {
    return new Builder();
  }

  /** Collects the groups in order. */
  static final class Builder {
    private GroupBuilder embedding;
    private final List<GroupBuilder> layers = new ArrayList<>();
    private GroupBuilder head;

    GroupBuilder embedding(String prefix) {
      embedding = new GroupBuilder(prefix);
      return embedding;
    }

    GroupBuilder layer(String prefix) {
      GroupBuilder g = new GroupBuilder(prefix);
      layers.add(g);
      return g;
    }

    GroupBuilder head(String prefix) {
      head = new GroupBuilder(prefix);
      return head;
    }

    TensorLayout build() {
      return new TensorLayout(
          embedding.build(), layers.stream().map(GroupBuilder::build).toList(), head.build());
    }
  }

  /** Declares the tensors of one group; names are relative to the group's prefix. */
  static final class GroupBuilder {
    private final String prefix;
    private final List<Tensor> tensors = new ArrayList<>();

    private GroupBuilder(String prefix) {
      this.prefix = prefix;
    }

    private GroupBuilder add(String name, Init init, Projection p, long... shape) {
      tensors.add(new Tensor(prefix + name, new Shape(shape), init, p));
      return this;
    }

    /** A weight drawn N(0, 0.02²) that is no projection (an embedding, the output head). */
    GroupBuilder weight(String name, long... shape) {
      return add(name, Init.NORMAL, null, shape);
    }

    /** A norm's scale (or bias) of {@code n} values. */
    GroupBuilder norm(String name, long n, Init init) {
      return add(name, init, null, n);
    }

    /** nn.Linear: {@code module.weight} (out, in) and, when {@code bias}, {@code module.bias}. */
    GroupBuilder linear(String module, long out, long in, boolean bias) {
      add(
          module + ".weight",
          Init.NORMAL,
          new Projection(prefix + module, in, out, false),
          out,
          in);
      return bias ? add(module + ".bias", Init.ZEROS, null, out) : this;
    }

    /** GPT-2's Conv1D: {@code module.weight} stored (in, out) and {@code module.bias}. */
    GroupBuilder conv1d(String module, long in, long out) {
      add(module + ".weight", Init.NORMAL, new Projection(prefix + module, in, out, true), in, out);
      return add(module + ".bias", Init.ZEROS, null, out);
    }

    Group build() {
      return new Group(prefix, List.copyOf(tensors));
    }
  }
}
