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
 */
public final class EngineThreads {
  private static final ThreadLocal<Integer> SET = new ThreadLocal<>();

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
}
