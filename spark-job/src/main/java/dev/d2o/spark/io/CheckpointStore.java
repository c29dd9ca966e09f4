package dev.d2o.spark.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints of a run directory on any Hadoop file system. model-core's {@code Checkpoints} writes
 * a checkpoint atomically on local disk; for a remote run directory it is written to a local
 * staging folder and uploaded, and on object stores (where rename is not atomic) it counts only
 * once the marker file {@value #MARKER}, written last, exists.
 */
public final class CheckpointStore {
  public static final String MARKER = "_COMPLETE";

  private final RunDir run;
  private final java.nio.file.Path staging;

  public CheckpointStore(RunDir run) {
    this.run = run;
    try {
      this.staging =
          run.isLocal() ? run.local("checkpoints") : Files.createTempDirectory("d2o-checkpoints-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Where model-core writes checkpoints: the run's own folder when local, else the staging folder.
   */
  public java.nio.file.Path localRoot() {
    return staging;
  }

  /**
   * Publishes a checkpoint that model-core wrote under {@link #localRoot()} (uploads it when
   * remote).
   */
  public void publish(java.nio.file.Path checkpoint) {
    Path dst = run.path("checkpoints/" + checkpoint.getFileName());
    try {
      FileSystem fs = HadoopFiles.fs(dst, run.conf());
      if (!run.isLocal()) {
        Path tmp = run.path("checkpoints/." + checkpoint.getFileName() + ".uploading");
        fs.delete(tmp, true);
        fs.copyFromLocalFile(false, true, new Path(checkpoint.toUri()), tmp);
        fs.delete(dst, true);
        if (!fs.rename(tmp, dst)) {
          throw new IOException("rename " + tmp + " -> " + dst + " failed");
        }
      }
      HadoopFiles.writeString(new Path(dst, MARKER), "complete\n", run.conf());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot publish checkpoint " + checkpoint + " to " + dst, e);
    }
  }

  /** The name of the newest complete checkpoint, without downloading it. */
  public Optional<String> latestName() {
    Path dir = run.path("checkpoints");
    try {
      FileSystem fs = HadoopFiles.fs(dir, run.conf());
      if (!fs.exists(dir)) {
        return Optional.empty();
      }
      return Arrays.stream(fs.listStatus(dir, p -> p.getName().startsWith("checkpoint-")))
          .filter(s -> s.isDirectory() && exists(fs, new Path(s.getPath(), MARKER)))
          .map(s -> s.getPath().getName())
          .max(Comparator.naturalOrder());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir, e);
    }
  }

  /**
   * Keeps the newest {@code keep} checkpoints of a remote run directory ({@code
   * train.keepCheckpoints}); model-core prunes only its local folder, which for a remote run is the
   * staging folder.
   */
  public void prune(int keep) {
    if (run.isLocal()) {
      return;
    }
    Path dir = run.path("checkpoints");
    try {
      FileSystem fs = HadoopFiles.fs(dir, run.conf());
      FileStatus[] all = fs.listStatus(dir, p -> p.getName().startsWith("checkpoint-"));
      Arrays.sort(all, Comparator.comparing((FileStatus s) -> s.getPath().getName()).reversed());
      for (int i = keep; i < all.length; i++) {
        fs.delete(all[i].getPath(), true);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prune checkpoints in " + dir, e);
    }
  }

  /** The newest complete checkpoint, as a local directory (downloaded when remote). */
  public Optional<java.nio.file.Path> latest() {
    Path dir = run.path("checkpoints");
    try {
      FileSystem fs = HadoopFiles.fs(dir, run.conf());
      if (!fs.exists(dir)) {
        return Optional.empty();
      }
      FileStatus[] all = fs.listStatus(dir, p -> p.getName().startsWith("checkpoint-"));
      Optional<FileStatus> newest =
          Arrays.stream(all)
              .filter(s -> s.isDirectory() && exists(fs, new Path(s.getPath(), MARKER)))
              .max(Comparator.comparing(s -> s.getPath().getName()));
      if (newest.isEmpty()) {
        return Optional.empty();
      }
      if (run.isLocal()) {
        return Optional.of(java.nio.file.Path.of(newest.get().getPath().toUri()));
      }
      java.nio.file.Path local = staging.resolve(newest.get().getPath().getName());
      fs.copyToLocalFile(false, newest.get().getPath(), new Path(local.toUri()), true);
      return Optional.of(local);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir, e);
    }
  }

  private static boolean exists(FileSystem fs, Path p) {
    try {
      return fs.exists(p);
    } catch (IOException e) {
      return false;
    }
  }
}
