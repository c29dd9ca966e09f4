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

/** The run directory's lock (two runs, stale locks) and its refusal of another run's directory. */
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

  private String root(Path dir) {
    return HadoopFiles.qualify(dir.toString()).toString();
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
              + root(dir)
              + " is in use by process "
              + ProcessHandle.current().pid()
              + "@"
              + RunDir.host()
              + " (lock file "
              + lock(dir)
              + "); if that process is gone, delete the lock file",
          e.getMessage());
    }
    assertFalse(Files.exists(dir.resolve("_LOCK")), "closing releases the lock");
    open(c, true, false).close(); // then the run can be continued
  }

  @Test
  void aStaleLockOfAProcessThatExitedIsTakenOver() throws Exception {
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    Path dir = Files.createDirectories(tmp.resolve("stale"));
    Files.writeString(dir.resolve("_LOCK"), gone.pid() + "@" + RunDir.host());
    try (RunDir d = open(cfg(dir), false, false)) {
      assertEquals(
          ProcessHandle.current().pid() + "@" + RunDir.host(),
          Files.readString(dir.resolve("_LOCK")).trim());
    }
  }

  @Test
  void aLockOfAnotherHostOrAnUnreadableLockIsNeverTakenOver() throws Exception {
    for (String owner : List.of("12345@another-host", "not-a-pid@" + RunDir.host(), "garbage")) {
      Path dir = Files.createDirectories(tmp.resolve("l" + owner.hashCode()));
      Files.writeString(dir.resolve("_LOCK"), owner);
      InputException e = assertThrows(InputException.class, () -> open(cfg(dir), false, false));
      assertEquals(
          "run directory "
              + root(dir)
              + " is in use by process "
              + owner
              + " (lock file "
              + lock(dir)
              + "); if that process is gone, delete the lock file",
          e.getMessage());
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
            + " (train.beta (0.1 -> 0.2)); pass --resume to continue it (with its configuration), --overwrite to replace"
            + " it, or choose another run.dir";
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
