package dev.d2o.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope without autograd recording on this thread: PyTorch's grad mode is thread-local and on by
 * default on threads the engine did not start (Spark's task threads), so a pass meant to be
 * graph-free says so. Restores the previous mode on close.
 */
public final class NoGrad implements AutoCloseable {
  private final boolean previous;

  private NoGrad() {
    previous = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
  }

  /** Turns recording off until {@link #close}. */
  public static NoGrad open() {
    return new NoGrad();
  }

  @Override
  public void close() {
    JniUtils.setGradMode(previous);
  }
}
