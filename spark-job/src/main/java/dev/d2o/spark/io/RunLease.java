package dev.d2o.spark.io;

import dev.d2o.error.InputException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.apache.spark.SparkContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The run directory's lock as a lease: the holder's heartbeat rewrites the lock file every quarter
 * of {@code run.lockTimeout}; a lease not renewed for {@code run.lockTimeout} has expired and any
 * host may take it over. A run that finds the directory locked takes the lock at once when {@code
 * --break-lock} was given, when the holder is a process of this host that is gone, or when it was
 * an earlier attempt of the same Spark application (YARN starts an attempt only after the previous
 * one ended); otherwise it watches the lease: a renewal means the holder lives (refused), no
 * renewal until the lease expires means it is gone (taken over). Every takeover is logged with the
 * previous holder. A holder that finds the lease taken from it stops at its next write to the run
 * directory ({@link #check}). What the file systems guarantee is in {@link LeaseFile}.
 */
public final class RunLease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);

  /**
   * Who holds a lease.
   *
   * @param host host name
   * @param pid process id on that host
   * @param application Spark application id, or null
   * @param attempt Spark application attempt (YARN cluster mode), or null
   */
  public record Owner(String host, long pid, String application, String attempt) {
    /** This process, in {@code spark}'s application when not null. */
    public static Owner current(SparkContext spark) {
      return new Owner(
          RunDir.host(),
          ProcessHandle.current().pid(),
          spark == null ? null : spark.applicationId(),
          spark == null || spark.applicationAttemptId().isEmpty()
              ? null
              : spark.applicationAttemptId().get());
    }

    String describe() {
      String app =
          application == null
              ? ""
              : " (Spark application "
                  + application
                  + (attempt == null ? "" : ", attempt " + attempt)
                  + ")";
      return "process " + pid + " on host " + host + app;
    }
  }

  private final LeaseFile file;
  private final ScheduledExecutorService heartbeat;
  private final String takeover;
  private volatile LeaseRecord mine;
  private volatile LeaseRecord lostTo;
  private volatile boolean abandoned;

  private RunLease(LeaseFile file, LeaseRecord mine, Duration timeout, String takeover) {
    this.file = file;
    this.mine = mine;
    this.takeover = takeover;
    this.heartbeat =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "d2o-run-lease");
              t.setDaemon(true);
              return t;
            });
    long every = Math.max(100, timeout.toMillis() / 4);
    heartbeat.scheduleWithFixedDelay(this::renew, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * Takes the lease of {@code lock} for {@code me}, waiting at most {@code timeout} for a lease
   * that is not renewed to expire; refuses one that is renewed, naming its holder.
   */
  public static RunLease acquire(
      Path lock, Configuration conf, Owner me, Duration timeout, boolean breakLock) {
    LeaseFile file = new LeaseFile(lock, conf);
    LeaseRecord mine = LeaseRecord.fresh(me);
    try {
      LeaseRecord watched = null;
      long watchStart = 0;
      long wait = 0;
      while (true) {
        LeaseRecord held = file.read();
        if (held == null) {
          if (file.createExclusive(mine)) {
            return new RunLease(file, mine, timeout, null);
          }
          continue; // another run created it first: look at it
        }
        String reason = immediateTakeover(held, me, breakLock);
        if (reason == null) {
          if (isLiveHere(held, me) || (watched != null && !held.sameAs(watched))) {
            throw refused(file, held, timeout);
          }
          if (watched == null) {
            watched = held;
            watchStart = System.nanoTime();
            wait = Math.max(0, timeout.toMillis() - file.ageMillis());
            if (wait > 0) {
              LOG.warn(
                  "run directory {} is locked by {}; waiting up to {} s for its lease to be renewed"
                      + " (then it is refused) or to expire (run.lockTimeout = {} s); --break-lock"
                      + " takes it at once",
                  file.dir(),
                  held.describe(),
                  (wait + 999) / 1000,
                  timeout.toSeconds());
            }
          }
          long watchedMs = (System.nanoTime() - watchStart) / 1_000_000;
          if (watchedMs >= wait) {
            reason =
                "its lease was not renewed for " + timeout.toSeconds() + " s (run.lockTimeout)";
          }
        }
        if (reason != null) {
          if (file.replace(held, mine)) {
            String message =
                "taking over the lock of run directory "
                    + file.dir()
                    + " from "
                    + held.describe()
                    + ": "
                    + reason;
            LOG.warn(message);
            return new RunLease(file, mine, timeout, message);
          }
          watched = null; // it changed under us: look again
          continue;
        }
        Thread.sleep(Math.max(50, Math.min(1000, timeout.toMillis() / 8)));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot lock run directory " + file.dir(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for " + file.path(), e);
    }
  }

  /** Why {@code held} may be taken at once by {@code me}, or null. */
  private static String immediateTakeover(LeaseRecord held, Owner me, boolean breakLock) {
    if (breakLock) {
      return "--break-lock";
    }
    Owner o = held.owner();
    if (o == null) {
      return null;
    }
    if (o.host().equals(me.host()) && o.pid() > 0 && !alive(o.pid())) {
      return "that process is no longer running on this host";
    }
    if (o.application() != null
        && o.application().equals(me.application())
        && o.attempt() != null
        && me.attempt() != null
        && earlier(o.attempt(), me.attempt())) {
      return "it was attempt "
          + o.attempt()
          + " of this application, and YARN starts attempt "
          + me.attempt()
          + " only after the earlier one ended";
    }
    return null;
  }

  private static boolean isLiveHere(LeaseRecord held, Owner me) {
    Owner o = held.owner();
    return o != null && o.host().equals(me.host()) && o.pid() > 0 && alive(o.pid());
  }

  private static boolean alive(long pid) {
    return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
  }

  private static boolean earlier(String a, String b) {
    try {
      return Long.parseLong(a) < Long.parseLong(b);
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static InputException refused(LeaseFile file, LeaseRecord held, Duration timeout) {
    return new InputException(
        "run directory "
            + file.dir()
            + " is in use by "
            + held.describe()
            + ", which holds its lock (lock file "
            + file.path()
            + "); wait for that run to end, or if it is gone pass --break-lock (a lock that is"
            + " not renewed expires after run.lockTimeout = "
            + timeout.toSeconds()
            + " s)");
  }

  /** The heartbeat: renews the lease unless another run has taken it. */
  private void renew() {
    try {
      LeaseRecord held = file.read();
      if (!mine.sameHolder(held)) {
        lostTo = held;
        LOG.error(
            "lost the lock of run directory {} to {}; this run stops at its next write",
            file.dir(),
            held == null ? "nobody (the lock file was deleted)" : held.describe());
        heartbeat.shutdown();
        return;
      }
      LeaseRecord next = mine.renewed();
      file.write(next);
      mine = next;
    } catch (IOException | RuntimeException e) { // a passing storage error: the next beat retries
      LOG.warn("cannot renew the lock of run directory {}: {}", file.dir(), e.toString());
    }
  }

  /** The takeover this run made when it took the lease (logged), if it took one over. */
  public Optional<String> takeover() {
    return Optional.ofNullable(takeover);
  }

  /** Stops renewing without releasing: what a crashed holder leaves behind (tests). */
  void abandon() {
    abandoned = true;
    heartbeat.shutdownNow();
  }

  /** Throws when another run took the lease from this one (before a write to the directory). */
  public void check() {
    LeaseRecord other = lostTo;
    if (other != null) {
      throw new LeaseLostException(
          "run directory "
              + file.dir()
              + " was taken over by "
              + other.describe()
              + " (lock file "
              + file.path()
              + "); this run stops so that two runs do not write to one directory");
    }
  }

  /** Stops the heartbeat and deletes the lock file if this run still holds it. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    try {
      heartbeat.awaitTermination(10, TimeUnit.SECONDS);
      if (!abandoned && lostTo == null && mine.sameHolder(file.read())) {
        file.delete();
      }
    } catch (IOException e) {
      LOG.warn("cannot release the lock {}: {} (it expires by itself)", file.path(), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
