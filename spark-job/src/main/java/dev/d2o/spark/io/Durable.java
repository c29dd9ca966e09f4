package dev.d2o.spark.io;

import dev.d2o.train.FileSync;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.StreamCapabilities;

/**
 * Writes that reach stable storage before they return, for files that a marker written afterwards
 * vouches for (checkpoints). On the local file system that is {@code fsync} ({@link FileSync}); on
 * a Hadoop file system it is {@code hsync} where the output stream has that capability (HDFS: the
 * data nodes force the blocks to disk); elsewhere closing the stream is all the file system offers
 * (an object store's upload is complete, and durable, once {@code close} returns).
 */
public final class Durable {
  private Durable() {}

  /** Writes {@code text} to {@code p} through a temporary sibling and a rename, durably. */
  public static void writeString(Path p, String text, Configuration conf) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    if ("file".equals(p.toUri().getScheme())) {
      java.nio.file.Path target = java.nio.file.Path.of(p.toUri());
      java.nio.file.Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
      try {
        Files.write(tmp, bytes);
        FileSync.file(tmp);
        Files.move(
            tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        FileSync.directory(target.getParent());
      } catch (IOException e) {
        throw new java.io.UncheckedIOException("cannot write " + p, e);
      }
      return;
    }
    HadoopFiles.writeAtomically(
        p,
        conf,
        os -> {
          os.write(bytes);
          sync(os);
        });
  }

  /**
   * Copies the local directory {@code src} (recursively) to {@code dst} on {@code fs}, each file
   * synced before it is closed.
   */
  public static void copyDirectory(java.nio.file.Path src, Path dst, FileSystem fs)
      throws IOException {
    fs.mkdirs(dst);
    List<java.nio.file.Path> children;
    try (Stream<java.nio.file.Path> s = Files.list(src)) {
      children = s.sorted().toList();
    }
    for (java.nio.file.Path child : children) {
      Path target = new Path(dst, child.getFileName().toString());
      if (Files.isDirectory(child)) {
        copyDirectory(child, target, fs);
        continue;
      }
      try (InputStream in = Files.newInputStream(child);
          FSDataOutputStream out = fs.create(target, true)) {
        in.transferTo(out);
        sync(out);
      }
    }
  }

  /** Forces what was written to {@code os} to disk when its stream can ({@code hsync}). */
  private static void sync(java.io.OutputStream os) throws IOException {
    if (os instanceof FSDataOutputStream out && out.hasCapability(StreamCapabilities.HSYNC)) {
      out.hsync();
    }
  }
}
