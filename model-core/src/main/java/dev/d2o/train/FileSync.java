package dev.d2o.train;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Forces files to stable storage ({@code fsync}), so that a marker written afterwards (a rename, a
 * {@code _COMPLETE} file) never names data that a power cut or a kernel crash could still lose.
 * Closing a file only hands its bytes to the operating system's page cache.
 */
public final class FileSync {
  private FileSync() {}

  /** Forces every regular file under {@code dir}, then every directory, deepest first. */
  public static void tree(Path dir) throws IOException {
    List<Path> all;
    try (Stream<Path> s = Files.walk(dir)) {
      all = s.sorted(Comparator.reverseOrder()).toList();
    }
    for (Path p : all) {
      if (Files.isRegularFile(p)) {
        file(p);
      }
    }
    for (Path p : all) {
      if (Files.isDirectory(p)) {
        directory(p);
      }
    }
  }

  /**
   * Forces one file's content and metadata. {@code fsync} acts on the file, not on the descriptor,
   * so a fresh read-only channel flushes what an earlier, closed stream wrote.
   */
  public static void file(Path f) throws IOException {
    try (FileChannel c = FileChannel.open(f, StandardOpenOption.READ)) {
      c.force(true);
    }
  }

  /**
   * Forces a directory's entries (a rename into it, a new file in it). Linux and macOS allow this;
   * where a directory cannot be opened (Windows) there is nothing to force and nothing is done.
   */
  public static void directory(Path d) {
    try (FileChannel c = FileChannel.open(d, StandardOpenOption.READ)) {
      c.force(true);
    } catch (IOException e) {
      // not supported on this platform: renames are then as durable as the file system makes them
    }
  }
}
