package dev.d2o.spark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * An application submitted through {@code deploy/spark-submit.sh}: the submitting process
 * (SparkSubmit's JVM after the scripts exec; in client mode the driver itself) and its log.
 *
 * @param process the submitting process
 * @param log its standard output and error
 */
public record Submission(Process process, Path log) {
  /** The output so far. */
  public String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until the process has printed a line matching {@code line}; fails when it ends first or
   * times out.
   */
  public void awaitLine(Predicate<String> line, Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      if (output().lines().anyMatch(line)) {
        return;
      }
      if (!process.isAlive()) {
        throw new AssertionError(
            "the driver ended (exit " + process.exitValue() + ") first:\n" + tail(output()));
      }
      Thread.sleep(20);
    }
    throw new AssertionError("timed out waiting for the driver:\n" + tail(output()));
  }

  /** Waits for the process to end and returns its exit status. */
  public int await(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      throw new AssertionError("the driver did not end within " + timeout + ":\n" + tail(output()));
    }
    return process.exitValue();
  }

  /** The end of a long log, for assertion messages. */
  public static String tail(String s) {
    return s.length() <= 6000 ? s : s.substring(s.length() - 6000);
  }
}
