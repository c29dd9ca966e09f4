package dev.d2o.spark.testing;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataInputStream;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the test scheme {@code failfs:///}, where creating a file whose path
 * contains a chosen text fails as a full disk does ({@code No space left on device}). It records
 * what happens to files ({@link #events}: {@code create}, {@code hsync}, {@code open}, in order),
 * so tests can check that a file was synced before its checkpoint's marker was written, or how
 * often a checkpoint was downloaded. Register it with {@link #register}.
 */
public class FailingFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "failfs";
  private static volatile String failUnder;
  private static final List<String> EVENTS = new CopyOnWriteArrayList<>();

  /** Makes {@code failfs:///} available to Hadoop code reading {@code conf}. */
  public static void register(Configuration conf) {
    conf.set("fs." + SCHEME + ".impl", FailingFileSystem.class.getName());
    conf.setBoolean("fs." + SCHEME + ".impl.disable.cache", true);
  }

  /** From now on, creating a file whose path contains {@code text} fails; null stops failing. */
  public static void failCreatesUnder(String text) {
    failUnder = text;
  }

  /** What happened to files since the last {@link #clearEvents}: "create PATH", "hsync PATH", … */
  public static List<String> events() {
    return List.copyOf(EVENTS);
  }

  /** Forgets the recorded events. */
  public static void clearEvents() {
    EVENTS.clear();
  }

  @Override
  public URI getUri() {
    return URI.create(SCHEME + ":///");
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public void initialize(URI uri, Configuration conf) throws IOException {
    super.initialize(uri, conf);
  }

  private static void check(Path f) throws IOException {
    String t = failUnder;
    if (t != null && f.toString().contains(t)) {
      throw new IOException("No space left on device (injected, creating " + f + ")");
    }
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    check(f);
    return recording(f, super.create(f, overwrite, bufferSize, replication, blockSize, progress));
  }

  @Override
  public FSDataOutputStream create(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    check(f);
    return recording(
        f, super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress));
  }

  @Override
  public FSDataOutputStream createNonRecursive(
      Path f,
      FsPermission permission,
      boolean overwrite,
      int bufferSize,
      short replication,
      long blockSize,
      Progressable progress)
      throws IOException {
    check(f);
    return recording(
        f,
        super.createNonRecursive(
            f, permission, overwrite, bufferSize, replication, blockSize, progress));
  }

  @Override
  public FSDataInputStream open(Path f, int bufferSize) throws IOException {
    EVENTS.add("open " + f);
    return super.open(f, bufferSize);
  }

  /** {@code out}, recording its creation and each {@code hsync}. */
  private static FSDataOutputStream recording(Path f, FSDataOutputStream out) throws IOException {
    EVENTS.add("create " + f);
    return new FSDataOutputStream(out, null) {
      @Override
      public void hsync() throws IOException {
        super.hsync();
        EVENTS.add("hsync " + f);
      }
    };
  }
}
