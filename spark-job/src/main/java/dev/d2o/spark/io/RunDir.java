package dev.d2o.spark.io;

import dev.d2o.error.InputException;
import dev.d2o.spark.config.JobConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run directory (any Hadoop URI): effective configuration, anchors, checkpoints, metrics,
 * evaluation, the final model and the run summary. A lock file names the run that owns it; a second
 * run refuses to start.
 */
public final class RunDir implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunDir.class);
  public static final String CONFIG = "config.conf";
  public static final String LOCK = "_LOCK";

  private final Path root;
  private final Configuration conf;
  private final FileSystem fs;
  private boolean locked;

  private RunDir(Path root, Configuration conf) {
    this.root = root;
    this.conf = conf;
    this.fs = HadoopFiles.fs(root, conf);
  }

  /**
   * Opens {@code location} for {@code cfg}: refuses a directory written by a different training
   * configuration unless {@code resume} (which then must match) or {@code overwrite} (which deletes
   * it), refuses one locked by a live run, then takes the lock and saves the effective
   * configuration.
   */
  public static RunDir open(
      String location, JobConfig cfg, boolean resume, boolean overwrite, Configuration conf) {
    RunDir d = new RunDir(HadoopFiles.qualify(location), conf);
    try {
      d.checkLock();
      Path saved = d.path(CONFIG);
      if (d.fs.exists(saved)) {
        if (overwrite) {
          d.fs.delete(d.root, true);
        } else {
          JobConfig old = JobConfig.parse(HadoopFiles.readString(saved, conf), saved.toString());
          List<String> diff = cfg.trainingDifferences(old.asMap());
          if (!diff.isEmpty() || !resume) {
            throw new InputException(
                "run directory "
                    + location
                    + " already holds a run"
                    + (diff.isEmpty()
                        ? ""
                        : " with a different training configuration ("
                            + String.join(", ", diff)
                            + ")")
                    + "; pass --resume to continue it"
                    + (diff.isEmpty() ? "" : " (with its configuration)")
                    + ", --overwrite to replace it, or choose another run.dir");
          }
        }
      }
      d.fs.mkdirs(d.root);
      d.lock();
      HadoopFiles.writeString(saved, cfg.render(), conf);
      return d;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open run directory " + location, e);
    }
  }

  private void checkLock() throws IOException {
    Path lock = path(LOCK);
    if (!fs.exists(lock)) {
      return;
    }
    String owner = HadoopFiles.readString(lock, conf).trim();
    if (isStale(owner, host())) {
      LOG.warn(
          "taking over the stale lock {} of process {}, which is no longer running on this host",
          lock,
          owner);
      fs.delete(lock, false);
      return;
    }
    throw new InputException(
        "run directory "
            + root
            + " is in use by process "
            + owner
            + " (lock file "
            + lock
            + "); if that process is gone, delete the lock file");
  }

  /**
   * Whether a lock written as {@code pid@host} belongs to a process of this host that has exited. A
   * lock of another host, or one that cannot be read, is never taken over: its owner cannot be
   * checked from here.
   */
  static boolean isStale(String owner, String thisHost) {
    String[] parts = owner.split("@", 2);
    if (parts.length != 2 || !parts[1].equals(thisHost) || !parts[0].matches("[0-9]{1,18}")) {
      return false;
    }
    return ProcessHandle.of(Long.parseLong(parts[0])).map(ProcessHandle::isAlive).orElse(false)
        == false;
  }

  private void lock() {
    HadoopFiles.writeString(path(LOCK), ProcessHandle.current().pid() + "@" + host(), conf);
    locked = true;
  }

  static String host() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return ManagementFactory.getRuntimeMXBean().getName();
    }
  }

  /** A path under the run directory. */
  public Path path(String name) {
    return new Path(root, name);
  }

  /** The root. */
  public Path root() {
    return root;
  }

  /** Whether the run directory is on the local file system (then {@link #local} works). */
  public boolean isLocal() {
    return "file".equals(root.toUri().getScheme());
  }

  /** The local path of {@code name} (local run directories only). */
  public java.nio.file.Path local(String name) {
    return java.nio.file.Path.of(path(name).toUri());
  }

  /**
   * Where to write {@code name} on local disk before {@link #upload}: the run directory's own
   * {@code name} when it is local, else a fresh temporary folder.
   */
  public java.nio.file.Path localOrStaging(String name) {
    try {
      return isLocal() ? local(name) : Files.createTempDirectory("d2o-" + name + "-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Copies {@code local} (from {@link #localOrStaging}) to the run directory's {@code name} when
   * the run directory is remote; returns the run directory's {@code name}.
   */
  public String upload(java.nio.file.Path local, String name) {
    Path dst = path(name);
    if (!isLocal()) {
      try {
        fs.copyFromLocalFile(false, true, new Path(local.toUri()), dst);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot upload " + local + " to " + dst, e);
      }
    }
    return dst.toString();
  }

  /** The Hadoop configuration. */
  public Configuration conf() {
    return conf;
  }

  /** Whether {@code name} exists. */
  public boolean exists(String name) {
    return HadoopFiles.exists(path(name), conf);
  }

  /** Writes {@code name} atomically. */
  public void write(String name, String text) {
    HadoopFiles.writeString(path(name), text, conf);
  }

  @Override
  public void close() {
    if (locked) {
      try {
        fs.delete(path(LOCK), false);
      } catch (IOException ignored) {
        // a lock left behind is detected as stale by the next run on this host
      }
      locked = false;
    }
  }
}
