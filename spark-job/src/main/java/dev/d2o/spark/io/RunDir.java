package dev.d2o.spark.io;

import dev.d2o.error.InputException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run directory (any Hadoop URI): effective configuration, anchors, checkpoints, metrics,
 * evaluation, the final model and the run summary. Its lock is a lease ({@link RunLease}) that the
 * run renews while it works, so a run on another host can tell a live run from a lost one.
 */
public final class RunDir implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunDir.class);
  public static final String CONFIG = "config.conf";
  public static final String LOCK = "_LOCK";

  /**
   * How a run opens its directory.
   *
   * @param resume continue a run with the same training configuration (reuse complete outputs)
   * @param overwrite replace whatever run the directory holds
   * @param breakLock take the lock even when its lease has not expired
   */
  public record Mode(boolean resume, boolean overwrite, boolean breakLock) {}

  private final Path root;
  private final Configuration conf;
  private final FileSystem fs;
  private RunLease lease;

  private RunDir(Path root, Configuration conf) {
    this.root = root;
    this.conf = conf;
    this.fs = HadoopFiles.fs(root, conf);
  }

  /** As {@link #open(String, JobConfig, Mode, Configuration, RunLease.Owner)} by this process. */
  public static RunDir open(
      String location, JobConfig cfg, boolean resume, boolean overwrite, Configuration conf) {
    return open(
        location, cfg, new Mode(resume, overwrite, false), conf, RunLease.Owner.current(null));
  }

  /**
   * Opens {@code location} for {@code cfg}: takes the lock (waiting for a lease that is not renewed
   * to expire, {@code run.lockTimeout}), refuses a directory written by a different training
   * configuration unless {@code overwrite} (which empties it), refuses an existing run unless
   * {@code resume}, then saves the effective configuration.
   */
  public static RunDir open(
      String location, JobConfig cfg, Mode mode, Configuration conf, RunLease.Owner owner) {
    RunDir d = new RunDir(HadoopFiles.qualify(location), conf);
    d.lease =
        RunLease.acquire(
            d.path(LOCK),
            conf,
            owner,
            Duration.ofSeconds(cfg.get(Keys.RUN_LOCK_TIMEOUT)),
            mode.breakLock());
    try {
      Path saved = d.path(CONFIG);
      if (d.fs.exists(saved)) {
        if (mode.overwrite()) {
          d.clear();
        } else {
          d.checkSameRun(location, cfg, mode.resume(), saved);
        }
      }
      d.fs.mkdirs(d.root);
      HadoopFiles.writeString(saved, cfg.render(), conf);
      return d;
    } catch (IOException e) {
      d.close();
      throw new UncheckedIOException("cannot open run directory " + location, e);
    } catch (RuntimeException e) {
      d.close();
      throw e;
    }
  }

  private void checkSameRun(String location, JobConfig cfg, boolean resume, Path saved) {
    JobConfig old = JobConfig.parse(HadoopFiles.readString(saved, conf), saved.toString());
    List<String> diff = cfg.trainingDifferences(old.asMap());
    if (!diff.isEmpty() || !resume) {
      throw new InputException(
          "run directory "
              + location
              + " already holds a run"
              + (diff.isEmpty()
                  ? ""
                  : " with a different training configuration (" + String.join(", ", diff) + ")")
              + (diff.isEmpty()
                  ? "; pass --resume to continue it, --overwrite to replace it"
                  : "; rerun with its configuration to continue it, pass --overwrite to replace it")
              + ", or choose another run.dir");
    }
    LOG.info(
        "continuing the run in {} (same training configuration): complete outputs are reused",
        location);
  }

  /** Deletes everything in the directory but the lock (which this run holds). */
  private void clear() throws IOException {
    for (FileStatus st : fs.listStatus(root)) {
      String name = st.getPath().getName();
      if (!name.equals(LOCK) && !name.startsWith("." + LOCK)) {
        fs.delete(st.getPath(), true);
      }
    }
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
    lease.check();
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

  /** Writes {@code name} atomically (after checking that this run still holds the lock). */
  public void write(String name, String text) {
    lease.check();
    HadoopFiles.writeString(path(name), text, conf);
  }

  /** Releases the lock. */
  @Override
  public void close() {
    if (lease != null) {
      lease.close();
      lease = null;
    }
  }
}
