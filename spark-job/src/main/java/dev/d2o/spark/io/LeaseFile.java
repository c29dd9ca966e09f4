package dev.d2o.spark.io;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocalFileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The lock file of a run lease, on any Hadoop file system. What each one guarantees:
 *
 * <ul>
 *   <li>Local disk ({@code file:}): the file is created with {@code O_EXCL} (exactly one creator
 *       wins) and replaced by an atomic rename, so a reader sees the old or the new record.
 *   <li>HDFS: {@code create} without overwrite is atomic in the NameNode (exactly one creator
 *       wins); a renewal overwrites the file, and a reader that meets it half-written reads again.
 *       Modification times are the NameNode's clock.
 *   <li>S3 ({@code s3a:}) and object stores behind DBFS: Hadoop 3.3's S3A has no atomic
 *       create-if-absent (it checks, then writes) and no atomic rename, so two runs that start
 *       within the same second may both create the lock; a PUT replaces an object whole, so the
 *       later record wins and the earlier holder finds at its first heartbeat that the lease is not
 *       its own and stops at its next write. On object stores the lease protects against a retry
 *       meeting a live run, not against two runs started at the same instant.
 * </ul>
 *
 * <p>The age of a lease is measured with the file system's own clock (the lock file's modification
 * time against that of a probe file written now), so hosts whose clocks disagree agree on it.
 */
final class LeaseFile {
  private static final int READ_TRIES = 20;

  private final Path path;
  private final FileSystem fs;
  private final boolean local;

  LeaseFile(Path path, Configuration conf) {
    this.path = path;
    FileSystem any = HadoopFiles.fs(path, conf);
    // local files are written with java.nio (no checksum files): read them without checksums too
    this.fs = any instanceof LocalFileSystem checked ? checked.getRaw() : any;
    this.local = "file".equals(path.toUri().getScheme());
  }

  Path path() {
    return path;
  }

  Path dir() {
    return path.getParent();
  }

  /** The record, or null when there is no lock file. */
  LeaseRecord read() throws IOException {
    for (int i = 0; ; i++) {
      String text;
      try (var in = fs.open(path)) {
        text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (FileNotFoundException e) {
        return null;
      }
      LeaseRecord r = LeaseRecord.parse(text, i == READ_TRIES - 1);
      if (r != null) {
        return r;
      }
      sleep(50); // being rewritten
    }
  }

  /** Creates the lock file with {@code r} unless it exists; whether this call created it. */
  boolean createExclusive(LeaseRecord r) throws IOException {
    byte[] bytes = r.toJson().getBytes(StandardCharsets.UTF_8);
    if (local) {
      java.nio.file.Path p = java.nio.file.Path.of(path.toUri());
      Files.createDirectories(p.getParent());
      java.nio.file.Path tmp = p.resolveSibling("." + p.getFileName() + "." + UUID.randomUUID());
      Files.write(tmp, bytes);
      try {
        // a hard link is created atomically and fails when the name exists: the record appears
        // whole
        Files.createLink(p, tmp);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException | IOException e) { // no hard links here
        try {
          Files.write(p, bytes, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
          return true;
        } catch (FileAlreadyExistsException exists) {
          return false;
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    }
    try (OutputStream out = fs.create(path, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  /** Writes {@code r} over the lock file. */
  void write(LeaseRecord r) throws IOException {
    byte[] bytes = r.toJson().getBytes(StandardCharsets.UTF_8);
    if (local) {
      java.nio.file.Path p = java.nio.file.Path.of(path.toUri());
      java.nio.file.Path tmp = p.resolveSibling("." + p.getFileName() + "." + UUID.randomUUID());
      Files.write(tmp, bytes);
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      return;
    }
    try (OutputStream out = fs.create(path, true)) {
      out.write(bytes);
    }
  }

  /**
   * Replaces {@code expected} with {@code r} if the lock file still holds {@code expected}; whether
   * it did (read back after writing: a run that replaced it at the same moment wins or loses here).
   */
  boolean replace(LeaseRecord expected, LeaseRecord r) throws IOException {
    LeaseRecord now = read();
    if (now == null || !now.sameAs(expected)) {
      return false;
    }
    write(r);
    return r.sameHolder(read());
  }

  void delete() throws IOException {
    fs.delete(path, false);
  }

  /**
   * Milliseconds since the lock file was last written, by the file system's clock; 0 when that
   * cannot be measured (then a watcher waits a whole lease).
   */
  long ageMillis() {
    Path probe = new Path(dir(), "." + path.getName() + ".clock-" + UUID.randomUUID());
    try {
      long written = fs.getFileStatus(path).getModificationTime();
      try (OutputStream out = fs.create(probe, true)) {
        out.write('\n');
      }
      long now = fs.getFileStatus(probe).getModificationTime();
      return Math.max(0, now - written);
    } catch (IOException e) {
      return 0;
    } finally {
      try {
        fs.delete(probe, false);
      } catch (IOException ignored) {
        // a leftover probe file is harmless
      }
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
