package dev.d2o.spark.io;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Checkpoints of a run directory on any Hadoop file system. model-core's {@code Checkpoints} writes
 * a checkpoint atomically and durably on local disk; for a remote run directory it is written to a
 * local staging folder and uploaded ({@link #upload}, each file synced). A checkpoint counts only
 * once the marker file {@value #MARKER}, written last, exists ({@link #markComplete}): on object
 * stores a rename is not atomic, and a checkpoint whose marker is missing was cut short. Old
 * checkpoints are deleted only after a newer one is complete ({@link #prune}).
 */
public final class CheckpointStore {
  public static final String MARKER = "_COMPLETE";
  private static final String PREFIX = "checkpoint-";

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
   * Brings a checkpoint that model-core wrote under {@link #localRoot()} into the run directory:
   * nothing to do when local; else uploaded (each file synced) and renamed into place, and the
   * staging copy deleted. It does not count before {@link #markComplete}.
   */
  public void upload(java.nio.file.Path checkpoint) throws IOException {
    if (run.isLocal()) {
      return;
    }
    String name = checkpoint.getFileName().toString();
    Path dst = dir(name);
    Path tmp = run.path("checkpoints/." + name + ".uploading");
    FileSystem fs = fs();
    fs.delete(tmp, true);
    Durable.copyDirectory(checkpoint, tmp, fs);
    fs.delete(dst, true);
    if (!fs.rename(tmp, dst)) {
      throw new IOException("rename " + tmp + " -> " + dst + " failed");
    }
    deleteLocal(checkpoint);
  }

  /** Writes checkpoint {@code name}'s marker: from now on it counts, and resumes find it. */
  public void markComplete(String name) {
    Durable.writeString(new Path(dir(name), MARKER), "complete\n", run.conf());
  }

  /** The name of the newest complete checkpoint, without downloading it. */
  public Optional<String> latestName() {
    List<String> complete = completeNames();
    return complete.isEmpty() ? Optional.empty() : Optional.of(complete.get(complete.size() - 1));
  }

  /** Names of the complete checkpoints, oldest first. */
  public List<String> completeNames() {
    FileSystem fs = fs();
    return checkpoints().stream()
        .filter(s -> exists(fs, new Path(s.getPath(), MARKER)))
        .map(s -> s.getPath().getName())
        .toList();
  }

  /** Names of the checkpoint directories without a marker, oldest first (cut short). */
  public List<String> incompleteNames() {
    FileSystem fs = fs();
    return checkpoints().stream()
        .filter(s -> !exists(fs, new Path(s.getPath(), MARKER)))
        .map(s -> s.getPath().getName())
        .toList();
  }

  /**
   * Keeps the newest {@code keep} complete checkpoints ({@code train.keepCheckpoints}) and deletes
   * the older ones, with any incomplete one older than the newest complete (left by a crash). Call
   * it after {@link #markComplete}: a crash before never loses the previous checkpoint.
   */
  public void prune(int keep) {
    List<String> complete = completeNames();
    if (complete.isEmpty()) {
      return;
    }
    String newest = complete.get(complete.size() - 1);
    try {
      FileSystem fs = fs();
      for (int i = 0; i < complete.size() - keep; i++) {
        fs.delete(dir(complete.get(i)), true);
      }
      for (String name : incompleteNames()) {
        if (name.compareTo(newest) < 0) {
          fs.delete(dir(name), true);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prune checkpoints in " + run.path("checkpoints"), e);
    }
  }

  /**
   * The newest complete checkpoint as a local directory: the run's own when local, else downloaded
   * once into the staging folder (give it back with {@link #discard} once read).
   */
  public Optional<java.nio.file.Path> latest() {
    Optional<String> newest = latestName();
    if (newest.isEmpty()) {
      return Optional.empty();
    }
    if (run.isLocal()) {
      return Optional.of(run.local("checkpoints/" + newest.get()));
    }
    java.nio.file.Path local = staging.resolve(newest.get());
    try {
      deleteLocal(local);
      fs().copyToLocalFile(false, dir(newest.get()), new Path(local.toUri()), true);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot download checkpoint " + dir(newest.get()), e);
    }
    return Optional.of(local);
  }

  /** Deletes a checkpoint that {@link #latest} downloaded; a local run's own is kept. */
  public void discard(java.nio.file.Path checkpoint) {
    if (!run.isLocal()) {
      try {
        deleteLocal(checkpoint);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the downloaded " + checkpoint, e);
      }
    }
  }

  private Path dir(String name) {
    return run.path("checkpoints/" + name);
  }

  private FileSystem fs() {
    return HadoopFiles.fs(run.path("checkpoints"), run.conf());
  }

  /** The checkpoint directories, complete or not, oldest first. */
  private List<FileStatus> checkpoints() {
    Path dir = run.path("checkpoints");
    try {
      FileSystem fs = fs();
      if (!fs.exists(dir)) {
        return List.of();
      }
      return Arrays.stream(fs.listStatus(dir, p -> p.getName().startsWith(PREFIX)))
          .filter(FileStatus::isDirectory)
          .sorted(Comparator.comparing(s -> s.getPath().getName()))
          .toList();
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

  private static void deleteLocal(java.nio.file.Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
      for (java.nio.file.Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
