package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A decoder-only language model as a set of named weight tensors (the Hugging Face names, so that
 * loading, saving, gradients and optimizer state share one vocabulary) and the forward pass its
 * {@link ModelFamily} runs over them. The forward pass is batched tensor work only; masks and
 * positions come from the caller so that right-padded scoring and left-padded generation use one
 * code path.
 *
 * <p>Arrays created by a forward pass belong to the manager of the input ids; callers wrap calls in
 * an {@link ai.djl.ndarray.NDScope} and keep only what they need.
 */
public final class CausalLM implements AutoCloseable {
  /** Additive mask value: exp(-1e9) is exactly 0 in fp32, and a fully masked row stays finite. */
  static final float MASKED = -1e9f;

  private final ModelConfig config;
  private final TensorLayout layout;
  private final NDManager manager;
  private final Map<String, NDArray> params;
  private final Placement placement;

  /**
   * Set on a view made by {@link #withAdapters}: the adapters and the plain model whose weights it
   * shares.
   */
  private LoraAdapters adapters;

  private CausalLM base;

  private CausalLM(
      ModelConfig config,
      TensorLayout layout,
      NDManager manager,
      Map<String, NDArray> params,
      Placement placement) {
    this.config = config;
    this.layout = layout;
    this.manager = manager;
    this.params = Collections.unmodifiableMap(new LinkedHashMap<>(params));
    this.placement = placement;
  }

  /**
   * The expected parameter names and shapes of {@code config}'s architecture, in checkpoint order.
   */
  public static Map<String, Shape> parameterShapes(ModelConfig config) {
    return config.tensors().shapes();
  }

  /**
   * Builds a model over {@code params}, which must hold exactly the arrays of {@link
   * #parameterShapes}; the model takes ownership of {@code manager}.
   */
  public static CausalLM of(ModelConfig config, Map<String, NDArray> params, NDManager manager) {
    return of(config, params, manager, Placement.single(manager.getDevice(), config.numLayers()));
  }

  /**
   * As {@link #of(ModelConfig, Map, NDManager)}, with the weights of each group on the device
   * {@code placement} gives it.
   */
  public static CausalLM of(
      ModelConfig config, Map<String, NDArray> params, NDManager manager, Placement placement) {
    TensorLayout layout = config.tensors();
    Map<String, Shape> shapes = layout.shapes();
    for (Map.Entry<String, Shape> e : shapes.entrySet()) {
      NDArray a = params.get(e.getKey());
      if (a == null) {
        throw new ModelException(
            "missing tensor '" + e.getKey() + "' (expected shape " + e.getValue() + ")");
      }
      if (!a.getShape().equals(e.getValue())) {
        throw new ModelException(
            "tensor '" + e.getKey() + "' has shape " + a.getShape() + "; expected " + e.getValue());
      }
    }
    Map<String, NDArray> ordered = new LinkedHashMap<>();
    shapes.keySet().forEach(k -> ordered.put(k, params.get(k)));
    return new CausalLM(config, layout, manager, ordered, placement);
  }

  /**
   * A model over plain weights ({@code names[i]} → {@code weights[i]}, shapes from the
   * architecture): how a trainer's master weights become a model again (checkpoints, the final
   * model). The weights are copied.
   */
  public static CausalLM fromWeights(
      ModelConfig config, List<String> names, float[][] weights, NDManager parent) {
    if (names.size() != weights.length) {
      throw new ModelException(
          names.size() + " parameter names but " + weights.length + " weight arrays");
    }
    NDManager m = parent.newSubManager();
    Map<String, Shape> shapes = parameterShapes(config);
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (int p = 0; p < names.size(); p++) {
      Shape shape = shapes.get(names.get(p));
      if (shape == null || shape.size() != weights[p].length) {
        throw new ModelException(
            "weights for '"
                + names.get(p)
                + "' do not fit "
                + config.modelType()
                + " (expected "
                + shape
                + ", got "
                + weights[p].length
                + " values)");
      }
      params.put(names.get(p), m.create(weights[p], shape));
    }
    return of(config, params, m);
  }

  /**
   * A randomly initialised model as its family declares (weights N(0, 0.02²), norm scales 1 or 0,
   * biases 0), drawn in checkpoint order with {@link Random} so the same seed gives the same
   * weights on every engine and thread count.
   */
  public static CausalLM random(ModelConfig config, long seed, NDManager parent) {
    NDManager m = parent.newSubManager();
    Random rnd = new Random(seed);
    Map<String, NDArray> params = new LinkedHashMap<>();
    for (TensorLayout.Tensor t : config.tensors().tensors()) {
      float[] data = new float[Math.toIntExact(t.size())];
      switch (t.init()) {
        case ONES -> Arrays.fill(data, 1f);
        case ZEROS -> {}
        case NORMAL -> {
          for (int i = 0; i < data.length; i++) {
            data[i] = (float) (rnd.nextGaussian() * 0.02);
          }
        }
      }
      params.put(t.name(), m.create(data, t.shape()));
    }
    return of(config, params, m);
  }

  /** The architecture. */
  public ModelConfig config() {
    return config;
  }

  /** The tensors of this model as its family declares them (groups: embedding, layers, head). */
  public TensorLayout layout() {
    return layout;
  }

  /** The manager that owns the weights. */
  public NDManager manager() {
    return manager;
  }

  /** The weights by Hugging Face name, in checkpoint order (tied heads appear once). */
  public Map<String, NDArray> parameters() {
    return params;
  }

  /** One weight by name. */
  public NDArray param(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new ModelException("no parameter named '" + name + "'");
    }
    return a;
  }

  /**
   * What training updates, by name in checkpoint order: every weight of a plain model; only the
   * adapters of a model with adapters (its base weights are frozen and shared).
   */
  public Map<String, NDArray> trainableParameters() {
    return adapters == null ? params : adapters.parameters();
  }

  /**
   * Whether autograd records gradients for the trainable parameters; the base weights of an adapted
   * model never.
   */
  public void setTrainable(boolean trainable) {
    if (adapters != null && trainable) {
      params.values().forEach(p -> p.setRequiresGradient(false));
    }
    trainableParameters().values().forEach(p -> p.setRequiresGradient(trainable));
  }

  /**
   * This model with {@code lora} adapters: a view over the same base weight arrays (no copy) that
   * adds (α/r)·B·(A·x) to each adapted projection. The view owns the adapters (closing it closes
   * them, never the base); {@link #base()} is the same model with the adapters off, e.g. the
   * reference.
   */
  public CausalLM withAdapters(LoraAdapters lora) {
    if (adapters != null) {
      throw new ModelException("this model already carries adapters; add adapters to its base()");
    }
    if (lora.modelConfig().family() != config.family()
        || !parameterShapes(lora.modelConfig()).equals(parameterShapes(config))) {
      throw new ModelException(
          "adapters for "
              + lora.modelConfig().modelType()
              + " do not fit this "
              + config.modelType());
    }
    CausalLM view = of(config, params, lora.manager(), placement);
    view.adapters = lora;
    view.base = this;
    return view;
  }

  /** The adapters of this view, or null for a plain model. */
  public LoraAdapters adapters() {
    return adapters;
  }

  /**
   * The model without adapters: the plain model this view shares its base weights with, or this
   * plain model.
   */
  public CausalLM base() {
    return base == null ? this : base;
  }

  /**
   * {@code y} plus the adapter update of {@code module} for input {@code x}, when this view adapts
   * it.
   */
  NDArray adapted(String module, NDArray x, NDArray y) {
    NDArray delta = adapters == null ? null : adapters.delta(module, x);
    return delta == null ? y : y.add(delta);
  }

  /** A deep copy of this model with its own manager (a frozen reference, a replica). */
  public CausalLM copy(NDManager parent) {
    if (adapters != null) {
      throw new ModelException(
          "copy() of a model with adapters: copy its base() or merge the adapters first");
    }
    NDManager m = parent.newSubManager();
    Map<String, NDArray> copies = new LinkedHashMap<>();
    params.forEach((k, v) -> copies.put(k, v.duplicate()));
    copies.values().forEach(a -> a.attach(m));
    return of(config, copies, m, placement);
  }

  /**
   * Final hidden states.
   *
   * @param ids token ids (B, T), int64
   * @param positions position ids (B, T), int64
   * @param mask attention mask over the T new tokens and the S ≥ T keys (cache plus new)
   * @param cache key/value cache to read and extend, or null
   * @return hidden states (B, T, E) after the final norm
   */
  public NDArray hidden(NDArray ids, NDArray positions, AttentionMask mask, KvCache cache) {
    return Forward.hidden(this, ids, positions, mask, cache);
  }

  /** Output logits (B, T, V) from hidden states (B, T, E), in F32. */
  public NDArray logits(NDArray hidden) {
    return Forward.logits(this, hidden);
  }

  /**
   * Per-token log-probs (B, T−1) of {@code targets} (B, T−1) from final hidden states (B, T, E):
   * log softmax(logits)[target] in F32, times {@code responseMask}, from position {@code first} on
   * (zero before it).
   */
  public NDArray tokenLogps(NDArray hidden, NDArray targets, NDArray responseMask, int first) {
    return TokenLogps.of(this, hidden, targets, responseMask, first, null);
  }

  /** Where each group of weights lives (one device unless the model was loaded across several). */
  public Placement placement() {
    return placement;
  }

  /** The storage type of the frozen weights (F32 unless loaded in half precision). */
  public WeightType weightType() {
    NDArray first = params.values().iterator().next();
    return first.getDataType() == DataType.FLOAT32
        ? WeightType.FLOAT32
        : first.getDataType() == DataType.FLOAT16 ? WeightType.FLOAT16 : WeightType.BFLOAT16;
  }

  /** The weights of layer {@code i} for a call's {@code in}puts, by names relative to the layer. */
  Weights layer(int i, LayerInputs in) {
    return new Weights(this, layout.layers().get(i).prefix(), in);
  }

  /** The weights under {@code prefix} for a call's {@code in}puts, by names relative to it. */
  Weights weights(String prefix, LayerInputs in) {
    return new Weights(this, prefix, in);
  }

  /** x·Wᵀ + b for nn.Linear weights stored (out, in); {@code bias} may be null. */
  static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
    return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
  }

  static NDArray toFloat(NDArray a) {
    return a.getDataType() == DataType.FLOAT32 ? a : a.toType(DataType.FLOAT32, false);
  }

  @Override
  public void close() {
    manager.close();
  }
}
