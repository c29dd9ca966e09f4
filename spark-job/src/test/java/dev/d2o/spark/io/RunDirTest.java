package dev.d2o.spark.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.ConfigException;
import dev.d2o.error.InputException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The run directory's lock (two runs, locks of exited processes and of other hosts) and its refusal
 * of another run's directory. {@link RunLeaseTest} covers the lease between hosts.
 */
class RunDirTest {
  @TempDir Path tmp;
  private final Configuration conf = new Configuration();

  private JobConfig cfg(Path dir, String... sets) {
    List<String> all = new java.util.ArrayList<>(List.of("run.dir=" + dir));
    all.addAll(List.of(sets));
    return JobConfig.load(null, all);
  }

  private RunDir open(JobConfig c, boolean resume, boolean overwrite) {
    return RunDir.open(c.get(Keys.RUN_DIR), c, resume, overwrite, conf);
  }

  private String lock(Path dir) {
    return new org.apache.hadoop.fs.Path(HadoopFiles.qualify(dir.toString()), RunDir.LOCK)
        .toString();
  }

  @Test
  void aSecondRunOnTheSameDirectoryIsRefusedNamingTheOwner() {
    Path dir = tmp.resolve("run");
    JobConfig c = cfg(dir);
    try (RunDir first = open(c, false, false)) {
      InputException e = assertThrows(InputException.class, () -> open(c, true, false));
      assertEquals(
          "run directory "
              + new org.apache.hadoop.fs.Path(lock(dir)).getParent()
              + " is in use by process "
              + ProcessHandle.current().pid()
              + " on host "
              + RunDir.host()
              + ", which holds its lock (lock file "
              + lock(dir)
              + "); wait for that run to end, or if it is gone pass --break-lock (a lock that is"
              + " not renewed expires after run.lockTimeout = 180 s)",
          e.getMessage());
    }
    assertFalse(Files.exists(dir.resolve("_LOCK")), "closing releases the lock");
    open(c, true, false).close(); // then the run can be continued
  }

  @Test
  void aLockOfAProcessThatExitedOnThisHostIsTakenOverAtOnce() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path dir = Files.createDirectories(tmp.resolve("stale"));
    // a lock as earlier versions wrote it (pid@host), and the lease record of this version
    for (String lock :
        List.of(
            gone.pid() + "@" + RunDir.host(),
            "{\"host\":\""
                + RunDir.host()
                + "\",\"pid\":"
                + gone.pid()
                + ",\"token\":\"t\",\"renewals\":3}")) {
      Files.writeString(dir.resolve("_LOCK"), lock);
      long t0 = System.nanoTime();
      try (RunDir d = open(cfg(dir), true, false)) {
        assertTrue(
            (System.nanoTime() - t0) / 1e9 < 10, "no wait for the lease (run.lockTimeout = 180 s)");
        String now = Files.readString(dir.resolve("_LOCK"));
        assertTrue(
            now.contains("\"pid\":" + ProcessHandle.current().pid())
                && now.contains("\"host\":\"" + RunDir.host() + "\""),
            now);
      }
    }
  }

  @Test
  void aLockOfAnotherHostOrAnUnreadableLockIsTakenOverOnlyOnceItExpired() throws Exception {
    for (String owner : List.of("12345@another-host", "garbage")) {
      Path dir = Files.createDirectories(tmp.resolve("l" + owner.hashCode()));
      Files.writeString(dir.resolve("_LOCK"), owner);
      long t0 = System.nanoTime();
      try (RunDir d = open(cfg(dir, "run.lockTimeout=2"), false, false)) {
        double waited = (System.nanoTime() - t0) / 1e9;
        assertTrue(waited >= 1.0, owner + ": waited " + waited + " s for the lease to expire");
      }
    }
  }

  @Test
  void overwriteKeepsTheLockWhileItEmptiesTheDirectory() throws Exception {
    Path dir = tmp.resolve("overwritten");
    open(cfg(dir), false, false).close();
    Files.writeString(dir.resolve("old.txt"), "of the earlier run");
    try (RunDir d = open(cfg(dir, "train.beta=0.2"), false, true)) {
      assertFalse(Files.exists(dir.resolve("old.txt")));
      assertTrue(Files.exists(dir.resolve("_LOCK")), "the lock is held throughout");
    }
  }

  @Test
  void anExistingRunIsRefusedUnlessResumedWithItsConfigurationOrOverwritten() throws Exception {
    Path dir = tmp.resolve("existing");
    open(cfg(dir), false, false).close();
    InputException e = assertThrows(InputException.class, () -> open(cfg(dir), false, false));
    assertEquals(
        "run directory "
            + dir
            + " already holds a run; pass --resume to continue it, --overwrite to"
            + " replace it, or choose another run.dir",
        e.getMessage());

    JobConfig other = cfg(dir, "train.beta=0.2", "train.checkpointEvery=5");
    String differs =
        "run directory "
            + dir
            + " already holds a run with a different training configuration"
            + " (train.beta (0.1 -> 0.2)); rerun with its configuration to continue it, pass --overwrite to"
            + " replace it, or choose another run.dir";
    assertEquals(
        differs, assertThrows(InputException.class, () -> open(other, false, false)).getMessage());
    assertEquals(
        differs, assertThrows(InputException.class, () -> open(other, true, false)).getMessage());
    open(cfg(dir, "train.checkpointEvery=5"), true, false)
        .close(); // options off the trajectory may change
    open(other, false, true).close();
    assertTrue(Files.readString(dir.resolve("config.conf")).contains("train.beta = 0.2"));
  }

  @Test
  void aCorruptSavedConfigurationIsNamed() throws Exception {
    Path dir = tmp.resolve("corrupt");
    open(cfg(dir), false, false).close();
    // written through Hadoop, as a run writes it (the local file system keeps a checksum beside
    // each file)
    org.apache.hadoop.fs.Path saved =
        new org.apache.hadoop.fs.Path(HadoopFiles.qualify(dir.toString()), "config.conf");
    HadoopFiles.writeString(saved, "train.beta = = 0.2\n", conf);
    ConfigException e = assertThrows(ConfigException.class, () -> open(cfg(dir), true, false));
    assertTrue(
        e.getMessage().startsWith("cannot parse configuration " + saved + ": "), e.getMessage());
  }
}
