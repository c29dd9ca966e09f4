package dev.d2o.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * This process's resident memory as Linux counts it ({@code /proc/self/status}): the current
 * resident set ({@code VmRSS}) and its peak ({@code VmHWM}), which includes the engine's native
 * arrays that no JVM counter sees. {@link #reset} starts a new peak (writing 5 to {@code
 * /proc/self/clear_refs}, Linux ≥ 4.0), so two measurements in one process each get their own.
 */
public final class PeakRss {
  private PeakRss() {}

  /** The current resident set in bytes, or -1 where {@code /proc} does not tell. */
  public static long currentBytes() {
    return field("VmRSS:");
  }

  /** The peak resident set since the start or the last {@link #reset}, or -1. */
  public static long peakBytes() {
    return field("VmHWM:");
  }

  /**
   * Makes the peak the current resident set; false where the kernel does not allow it (the peak
   * then covers the whole process).
   */
  public static boolean reset() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5", StandardCharsets.US_ASCII);
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  private static long field(String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(name)) {
          return Long.parseLong(line.substring(name.length()).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
