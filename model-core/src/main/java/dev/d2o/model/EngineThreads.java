package dev.d2o.model;

import ai.djl.pytorch.jni.JniUtils;

/**
 * Makes a thread use the JVM's engine intra-op thread count. PyTorch's {@code set_num_threads} sets
 * OpenMP's count for every thread, but MKL's only for the calling thread ({@code
 * mkl_set_num_threads_local}, with MKL's dynamic adjustment turned off there): a thread that never
 * called it, such as a Spark task thread, runs MKL's matrix products with MKL's own default and
 * dynamic thread choice. Checked on this machine by asking MKL ({@code mkl_get_max_threads}) from
 * the main thread after {@code set_num_threads(1)} (1) and from a new thread (2). So the main
 * thread of a single process and a task thread of the same JVM could run the same step with
 * different threads; calling {@link #matchInThisThread} first makes them the same.
 *
 * <p>{@link #use} gives one thread its own count for a while: when two Spark tasks of one JVM
 * compute gradients at once (local mode, {@code train.gradientTasks} > 1), each takes its share of
 * the cores. OpenMP's count ({@code nthreads-var}) belongs to the calling thread's data environment
 * by the OpenMP specification and MKL's local count is per thread; and the concurrent tasks of a
 * run all set the same count anyway. PyTorch's global default, which threads that start later copy,
 * is put back on close.
 */
public final class EngineThreads {
  private static final ThreadLocal<Integer> SET = new ThreadLocal<>();
  private static int jvmCount; // the count before any use() changed it; 0 until the first use()

  private EngineThreads() {}

  /**
   * Applies the engine's current intra-op thread count ({@code get_num_threads}, which every thread
   * shares) to MKL in this thread, once per thread and count.
   */
  public static void matchInThisThread() {
    int n = JniUtils.getNumThreads();
    Integer done = SET.get();
    if (done == null || done != n) {
      JniUtils.setNumThreads(n);
      SET.set(n);
    }
  }

  /**
   * Sets this thread's engine thread count to {@code threads} until the returned handle closes
   * (then the JVM's count again); {@code threads} ≤ 0 only {@linkplain #matchInThisThread matches}
   * the JVM's count.
   */
  public static Restore use(int threads) {
    if (threads <= 0) {
      matchInThisThread();
      return () -> {};
    }
    int jvm = jvmCount();
    set(threads);
    return () -> set(jvm);
  }

  /** Puts back the count that {@link #use} changed. */
  @FunctionalInterface
  public interface Restore extends AutoCloseable {
    @Override
    void close();
  }

  private static synchronized int jvmCount() {
    if (jvmCount == 0) {
      jvmCount = JniUtils.getNumThreads();
    }
    return jvmCount;
  }

  private static void set(int n) {
    JniUtils.setNumThreads(n); // cheap: two library calls
    SET.set(n);
  }
}
