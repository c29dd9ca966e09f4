package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Scalar operands for tensor arithmetic in anything autograd may differentiate. DJL's {@code
 * NDArray.mul(Number)} (and {@code add}, {@code div}, {@code maximum}, … with a {@code Number})
 * creates a scalar tensor over a Java direct buffer, runs the op and closes the scalar at once;
 * when autograd saved that scalar for the backward pass, backward later reads memory the garbage
 * collector may already have freed, and gradients come out as garbage or NaN (seen as rare absurd
 * {@code grad_norm} values in long runs; reproduced with {@code System.gc()} pressure). A scalar
 * made here belongs to the manager of the tensor it scales, so it lives as long as the computation.
 */
public final class Scalars {
  private Scalars() {}

  /**
   * A float32 scalar {@code value} owned by {@code like}'s manager, in engine memory ({@code
   * full}): unlike an array made from a Java buffer, it stays valid for a graph that saved it even
   * after its wrapper is closed (as a layer's scope does, {@code Forward}).
   */
  public static NDArray of(NDArray like, double value) {
    return like.getManager().full(new Shape(), (float) value);
  }
}
