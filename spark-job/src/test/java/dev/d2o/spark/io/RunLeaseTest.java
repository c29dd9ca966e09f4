package dev.d2o.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.InputException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run directory's lease between two owners that differ by host name (as a retry on another YARN
 * node, Airflow worker or Databricks driver would): a renewed lease is refused, one that is no
 * longer renewed is taken over once it expired, at once with {@code --break-lock} or when the
 * holder was an earlier attempt of the same application; the takeover names the previous holder,
 * and the holder it was taken from stops at its next write.
 */
class RunLeaseTest {
  private static final Duration TIMEOUT = Duration.ofSeconds(2);
  private static final RunLease.Owner A = new RunLease.Owner("host-a", 101, null, null);
  private static final RunLease.Owner B = new RunLease.Owner("host-b", 202, null, null);

  @TempDir Path tmp;
  private final Configuration conf = new Configuration();

  private org.apache.hadoop.fs.Path lock(String name) {
    return new org.apache.hadoop.fs.Path(
        HadoopFiles.qualify(tmp.resolve(name).toString()), "_LOCK");
  }

  private RunLease acquire(org.apache.hadoop.fs.Path lock, RunLease.Owner o, boolean breakLock) {
    return RunLease.acquire(lock, conf, o, TIMEOUT, breakLock);
  }

  @Test
  void aLeaseRenewedByALiveOwnerOnAnotherHostIsRefused() {
    var lock = lock("live");
    try (RunLease a = acquire(lock, A, false)) {
      long t0 = System.nanoTime();
      InputException e = assertThrows(InputException.class, () -> acquire(lock, B, false));
      double waited = (System.nanoTime() - t0) / 1e9;
      assertEquals(
          "run directory "
              + lock.getParent()
              + " is in use by process 101 on host host-a, which holds its lock (lock file "
              + lock
              + "); wait for that run to end, or if it is gone pass --break-lock (a lock that is not"
              + " renewed expires after run.lockTimeout = 2 s)",
          e.getMessage());
      assertTrue(waited < TIMEOUT.toSeconds(), "refused at A's renewal, after " + waited + " s");
      a.check(); // A still holds it
    }
  }

  @Test
  void aLeaseNoLongerRenewedIsTakenOverByAnotherHostOnceItExpired() throws Exception {
    var lock = lock("expired");
    RunLease a = acquire(lock, A, false);
    a.abandon(); // host-a is gone: nobody renews its lease
    long t0 = System.nanoTime();
    try (RunLease b = acquire(lock, B, false)) {
      double waited = (System.nanoTime() - t0) / 1e9;
      assertEquals(
          "taking over the lock of run directory "
              + lock.getParent()
              + " from process 101 on host host-a: its lease was not renewed for 2 s"
              + " (run.lockTimeout)",
          b.takeover().orElseThrow());
      assertTrue(waited >= 1.0 && waited < 10, "waited for the lease to expire: " + waited + " s");
      assertTrue(Files.readString(tmp.resolve("expired/_LOCK")).contains("\"host\":\"host-b\""));
    }
    assertFalse(Files.exists(tmp.resolve("expired/_LOCK")), "B released it");
  }

  @Test
  void aLeaseExpiredByTheFileSystemsClockIsTakenOverAtOnce() throws Exception {
    var lock = lock("old");
    acquire(lock, A, false).abandon();
    FileSystem fs = lock.getFileSystem(conf);
    long old = fs.getFileStatus(lock).getModificationTime() - 3 * TIMEOUT.toMillis();
    fs.setTimes(lock, old, -1); // renewed last three leases ago
    long t0 = System.nanoTime();
    try (RunLease b = acquire(lock, B, false)) {
      assertTrue((System.nanoTime() - t0) / 1e9 < 1.0, "no wait for a lease that already expired");
      assertTrue(b.takeover().orElseThrow().contains("from process 101 on host host-a"));
    }
  }

  @Test
  void breakLockTakesALiveLeaseAndItsHolderStopsAtItsNextWrite() throws Exception {
    var lock = lock("broken");
    RunLease a = acquire(lock, A, false);
    try (RunLease b = acquire(lock, B, true)) {
      assertEquals(
          "taking over the lock of run directory "
              + lock.getParent()
              + " from process 101 on host host-a: --break-lock",
          b.takeover().orElseThrow());
      Thread.sleep(3 * TIMEOUT.toMillis() / 4); // A's heartbeat (every lockTimeout / 4) notices
      LeaseLostException e = assertThrows(LeaseLostException.class, a::check);
      assertEquals(
          "run directory "
              + lock.getParent()
              + " was taken over by process 202 on host host-b (lock file "
              + lock
              + "); this run stops so that two runs do not write to one directory",
          e.getMessage());
      a.close(); // must not delete B's lock
      assertTrue(Files.readString(tmp.resolve("broken/_LOCK")).contains("\"host\":\"host-b\""));
      b.check();
    }
  }

  @Test
  void anEarlierAttemptOfTheSameApplicationIsTakenOverAtOnce() {
    var lock = lock("attempts");
    acquire(lock, new RunLease.Owner("host-a", 101, "application_1_0001", "1"), false).abandon();
    long t0 = System.nanoTime();
    try (RunLease second =
        acquire(lock, new RunLease.Owner("host-b", 202, "application_1_0001", "2"), false)) {
      assertTrue((System.nanoTime() - t0) / 1e9 < 1.0, "no wait for YARN's earlier attempt");
      assertEquals(
          "taking over the lock of run directory "
              + lock.getParent()
              + " from process 101 on host host-a (Spark application application_1_0001, attempt"
              + " 1): it was attempt 1 of this application, and YARN starts attempt 2 only after"
              + " the earlier one ended",
          second.takeover().orElseThrow());
    }
  }

  @Test
  void anotherApplicationsLiveLeaseIsNotTakenAsAnEarlierAttempt() {
    var lock = lock("apps");
    try (RunLease a =
        acquire(lock, new RunLease.Owner("host-a", 101, "application_1_0001", "1"), false)) {
      assertThrows(
          InputException.class,
          () -> acquire(lock, new RunLease.Owner("host-b", 202, "application_1_0002", "2"), false));
      a.check();
    }
  }
}
