package dev.d2o.spark;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Memory of this JVM as the operating system and the JVM see it: the peak resident set (Linux's
 * {@code VmHWM}: every byte this process ever had in RAM at once, native model weights included),
 * and a sampler of the Java heap in use.
 */
public final class ProcessMemory {
  private ProcessMemory() {}

  /** The peak resident set of this process in bytes ({@code VmHWM}), or -1 off Linux. */
  public static long peakRssBytes() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          String kb = line.substring(6).trim().split("\\s+")[0];
          return Long.parseLong(kb) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /**
   * Samples the heap in use every {@code millis} ms on a daemon thread until closed; {@link #peak}
   * is the largest sample (garbage not yet collected included, so an upper bound of what the heap
   * needed).
   */
  public static final class HeapSampler implements AutoCloseable {
    private final AtomicLong peak = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    public HeapSampler(long millis) {
      MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
      thread =
          new Thread(
              () -> {
                while (running) {
                  peak.accumulateAndGet(mx.getHeapMemoryUsage().getUsed(), Math::max);
                  try {
                    Thread.sleep(millis);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "d2o-heap-sampler");
      thread.setDaemon(true);
      thread.start();
    }

    /** The largest heap-in-use sample so far, in bytes. */
    public long peak() {
      peak.accumulateAndGet(
          ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
      return peak.get();
    }

    @Override
    public void close() {
      running = false;
      thread.interrupt();
    }
  }
}
