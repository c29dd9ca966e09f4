package dev.d2o.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;

/**
 * A gradient collector confined to the thread that opens it, so that two threads can record and
 * back-propagate separate graphs at the same time (two Spark tasks of one JVM, each on its own
 * replica).
 *
 * <p>Why not DJL's own: DJL 0.36's {@code PtGradientCollector} keeps a static {@code isCollecting}
 * flag (checked with {@code javap}), so a second collector anywhere in the JVM throws "A
 * PtGradientCollector is already collecting". What it guards is per thread in libtorch: grad mode
 * ({@code torch.is_grad_enabled}) is a thread-local flag, and the autograd engine runs a CPU
 * backward pass on the calling thread (PyTorch's "Thread safety on autograd" note: concurrent
 * {@code backward} calls on separate graphs are supported). This scope turns grad mode on for its
 * thread, restores the thread's previous mode on close, and refuses a second scope in the same
 * thread, which would otherwise turn recording off under the first one on close.
 *
 * <p>Parameters shared between threads must not require gradients (with LoRA the frozen base does
 * not); a parameter that two threads back-propagate into at once would accumulate both.
 */
public final class ThreadGradientScope implements GradientCollector {
  private static final ThreadLocal<Boolean> OPEN = ThreadLocal.withInitial(() -> false);

  private final Thread owner;
  private final boolean previousMode;
  private boolean closed;

  private ThreadGradientScope() {
    this.owner = Thread.currentThread();
    this.previousMode = JniUtils.isGradMode();
  }

  /**
   * Opens a scope in this thread: autograd records until {@link #close}.
   *
   * @throws IllegalStateException when this thread already has an open scope
   */
  public static ThreadGradientScope open() {
    if (OPEN.get()) {
      throw new IllegalStateException(
          "a gradient scope is already open in thread "
              + Thread.currentThread().getName()
              + ": scopes do not nest (close the first one before opening another)");
    }
    ThreadGradientScope s = new ThreadGradientScope();
    JniUtils.setGradMode(true);
    OPEN.set(true);
    return s;
  }

  /** Back-propagates from {@code target} with a seed of ones, as DJL's collector does. */
  @Override
  public void backward(NDArray target) {
    checkThread();
    try (NDArray seed = target.onesLike()) { // same shape, type and device as the target
      JniUtils.backward((PtNDArray) target, (PtNDArray) seed, false, false);
    }
  }

  /**
   * Unsupported: DJL's version zeroes the gradient of every array of the engine's system manager,
   * every thread's included. Callers zero their own parameters' gradients.
   */
  @Override
  public void zeroGradients() {
    throw new UnsupportedOperationException(
        "zero the gradients of your own parameters: this scope does not touch other threads'");
  }

  /** Restores this thread's previous grad mode. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    checkThread();
    JniUtils.setGradMode(previousMode);
    OPEN.set(false);
    closed = true;
  }

  private void checkThread() {
    if (Thread.currentThread() != owner) {
      throw new IllegalStateException(
          "gradient scope opened in thread "
              + owner.getName()
              + " used in thread "
              + Thread.currentThread().getName());
    }
  }
}
