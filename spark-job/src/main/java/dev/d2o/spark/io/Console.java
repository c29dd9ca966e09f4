package dev.d2o.spark.io;

import java.util.Locale;

/**
 * The job's console: progress lines and tables meant for the person who started the run. The
 * command line owns standard output; library and stage code writes through here (or logs), never to
 * {@code System.out} directly.
 */
public final class Console {
  private Console() {}

  /** Prints one line to standard output. */
  public static void line(String text) {
    System.out.println(text);
  }

  /** Prints a formatted line ({@link String#format}) to standard output. */
  public static void linef(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
  }
}
