package dev.d2o.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * A scope in which the engine records no autograd graph on the current thread, restoring the
 * thread's previous mode on close. PyTorch's grad mode is per thread and starts on: DJL turns it
 * off only on the thread that first loads the engine, so any other thread (a Spark task, a test's
 * worker) records a graph for every op on a weight that requires gradients, keeping every
 * intermediate alive until the result is closed. Inference (generation, scoring) runs inside one.
 *
 * <pre>{@code
 * try (NoGrad g = NoGrad.open()) {
 *   ... forward passes whose results need no gradient ...
 * }
 * }</pre>
 */
public final class NoGrad implements AutoCloseable {
  private final boolean previous;

  private NoGrad(boolean previous) {
    this.previous = previous;
  }

  /** Turns recording off on this thread until {@link #close}. */
  public static NoGrad open() {
    boolean was = JniUtils.isGradMode();
    if (was) {
      JniUtils.setGradMode(false);
    }
    return new NoGrad(was);
  }

  /** Whether the engine records autograd graphs on this thread now. */
  public static boolean isRecording() {
    return JniUtils.isGradMode();
  }

  /** Restores the mode this thread had before {@link #open}. */
  @Override
  public void close() {
    if (previous) {
      JniUtils.setGradMode(true);
    }
  }
}
