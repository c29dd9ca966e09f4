package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** The feed-forward blocks of the families and their activations. A shared block. */
final class Mlp {
  private static final float GELU_A = (float) (2 * Math.sqrt(2.0 / Math.PI));
  private static final float GELU_B = (float) (2 * Math.sqrt(2.0 / Math.PI) * 0.044715);

  /** The activations, by their Hugging Face names ({@code ACT2FN}). */
  enum Activation {
    /** x·σ(x) ({@code silu}). */
    SILU,
    /** The tanh approximation of GELU ({@code gelu_new}, {@code gelu_pytorch_tanh}). */
    GELU_TANH,
    /** GELU with the error function ({@code gelu}). */
    GELU;

    /** The names {@link #of} accepts for GELU. */
    static final List<String> GELU_NAMES = List.of("gelu_new", "gelu_pytorch_tanh", "gelu");

    /** The activation of a Hugging Face name the family's parser has checked. */
    static Activation of(String name) {
      return switch (name) {
        case "silu" -> SILU;
        case "gelu" -> GELU;
        case "gelu_new", "gelu_pytorch_tanh" -> GELU_TANH;
        default -> throw new IllegalArgumentException("no activation named '" + name + "'");
      };
    }

    NDArray apply(NDArray x) {
      return switch (this) {
        case SILU -> x.mul(x.getNDArrayInternal().sigmoid());
        case GELU -> x.getNDArrayInternal().gelu(); // exact, erf-based
        case GELU_TANH -> geluTanh(x);
      };
    }
  }

  private Mlp() {}

  /**
   * The gated MLP of Llama (SwiGLU) and Gemma (GeGLU; Shazeer 2020): {@code down(act(gate(x)) ·
   * up(x))}, with the three projections {@code prefix + gate_proj/up_proj/down_proj}.
   */
  static NDArray gated(Weights w, String prefix, NDArray x, Activation act) {
    NDArray gate = w.linear(prefix + "gate_proj", x); // (B, T, I)
    NDArray h = act.apply(gate).mul(w.linear(prefix + "up_proj", x));
    return w.linear(prefix + "down_proj", h); // (B, T, E)
  }

  /**
   * 0.5·x·(1 + tanh(z)), z = √(2/π)·(x + 0.044715·x³) (Hendrycks and Gimpel 2016), computed as
   * x·σ(2z) (0.5·(1 + tanh z) = σ(2z)) with 2z = x·(a + b·x²): 6 elementwise ops instead of 8 and
   * no pow, which matters in the backward pass of a 124M model on a CPU.
   */
  static NDArray geluTanh(NDArray x) {
    NDArray twoZ = x.mul(x).mul(Scalars.of(x, GELU_B)).add(Scalars.of(x, GELU_A)).mul(x);
    return x.mul(twoZ.getNDArrayInternal().sigmoid());
  }
}
