package dev.d2o.spark.io;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads and writes through the Hadoop FileSystem API, so {@code file:}, {@code hdfs:}, {@code s3a:}
 * and {@code dbfs:} locations all work. A path without a scheme is a local path.
 */
public final class HadoopFiles {
  private HadoopFiles() {}

  /** Qualifies a user path: a bare path becomes an absolute local {@code file:} URI. */
  public static Path qualify(String location) {
    URI uri = URI.create(location.replace(" ", "%20"));
    if (uri.getScheme() == null) {
      return new Path(java.nio.file.Path.of(location).toAbsolutePath().normalize().toUri());
    }
    return new Path(uri);
  }

  /** The file system of {@code p}. */
  public static FileSystem fs(Path p, Configuration conf) {
    try {
      return p.getFileSystem(conf);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the file system of " + p, e);
    }
  }

  /** Whether {@code p} exists. */
  public static boolean exists(Path p, Configuration conf) {
    try {
      return fs(p, conf).exists(p);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot check " + p, e);
    }
  }

  /** Writes {@code text} to {@code p} through a temporary sibling and a rename. */
  public static void writeString(Path p, String text, Configuration conf) {
    writeAtomically(p, conf, os -> os.write(text.getBytes(StandardCharsets.UTF_8)));
  }

  /** Body writing one file. */
  @FunctionalInterface
  public interface Body {
    /** Writes the content. */
    void write(OutputStream out) throws IOException;
  }

  /** Writes {@code p} through a temporary sibling, then renames it over {@code p}. */
  public static void writeAtomically(Path p, Configuration conf, Body body) {
    FileSystem fs = fs(p, conf);
    Path tmp = new Path(p.getParent(), "." + p.getName() + ".tmp");
    try {
      try (OutputStream os = fs.create(tmp, true)) {
        body.write(os);
      }
      if (fs.exists(p)) {
        fs.delete(p, false);
      }
      if (!fs.rename(tmp, p)) {
        throw new IOException("rename " + tmp + " -> " + p + " failed");
      }
    } catch (IOException e) {
      try {
        fs.delete(tmp, false);
      } catch (IOException ignored) {
        // the rename did not happen; the target is as it was
      }
      throw new UncheckedIOException("cannot write " + p, e);
    }
  }

  /** Reads {@code p} as UTF-8 text. */
  public static String readString(Path p, Configuration conf) {
    try (var in = fs(p, conf).open(p)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + p, e);
    }
  }

  /**
   * A local directory holding the files of the model directory {@code location}: the directory
   * itself when it is local, else a copy under {@code cacheRoot} keyed by the location (copied once
   * per JVM and location).
   */
  public static java.nio.file.Path localModelDir(
      String location, java.nio.file.Path cacheRoot, Configuration conf) {
    Path src = qualify(location);
    if ("file".equals(src.toUri().getScheme())) {
      return java.nio.file.Path.of(src.toUri());
    }
    java.nio.file.Path dst = cacheRoot.resolve(hash(src.toString()));
    if (Files.isRegularFile(dst.resolve(".complete"))) {
      return dst;
    }
    try {
      FileSystem fs = fs(src, conf);
      java.nio.file.Path tmp =
          Files.createDirectories(cacheRoot)
              .resolve(dst.getFileName() + ".tmp-" + ProcessHandle.current().pid());
      Files.createDirectories(tmp);
      for (FileStatus st : fs.listStatus(src)) {
        if (st.isFile()) {
          fs.copyToLocalFile(
              false, st.getPath(), new Path(tmp.resolve(st.getPath().getName()).toUri()), true);
        }
      }
      Files.writeString(tmp.resolve(".complete"), src.toString());
      try {
        Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException raced) {
        if (!Files.isRegularFile(dst.resolve(".complete"))) {
          throw raced;
        }
      }
      return dst;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot copy model " + src + " to " + dst, e);
    }
  }

  private static String hash(String s) {
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(h, 0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
