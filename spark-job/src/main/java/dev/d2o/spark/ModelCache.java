package dev.d2o.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.io.HadoopFiles;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.conf.Configuration;

/**
 * The models of one JVM (driver or executor), loaded once and shared by every task that runs there:
 * DJL's Spark {@code ModelLoader} pattern, a small serializable descriptor in the closure and the
 * heavy model in a static cache. Remote model directories are copied to a local cache directory
 * once first.
 */
public final class ModelCache {
  private static final Map<String, Pretrained> MODELS = new HashMap<>();
  private static final Map<String, AtomicInteger> LOADS = new ConcurrentHashMap<>();
  private static final Map<Device, NDManager> ROOTS = new HashMap<>();

  private ModelCache() {}

  /** As {@link #get(String, String, Configuration, String)} on {@code model.device = auto}. */
  public static Pretrained get(String role, String location, Configuration conf) {
    return get(role, location, conf, "auto");
  }

  /**
   * The model at {@code location} under {@code role} ("reference", "policy", ...) on {@code device}
   * ({@code model.device}: auto, cpu or gpu): loaded on first use in this JVM, then shared. Callers
   * must not close it.
   */
  public static synchronized Pretrained get(
      String role, String location, Configuration conf, String device) {
    String key = role + "@" + location;
    Pretrained p = MODELS.get(key);
    if (p == null) {
      dev.d2o.model.NativePlatform.require(); // executors too: a node of another platform says so
      NDManager root = ROOTS.computeIfAbsent(Devices.resolve(device), NDManager::newBaseManager);
      Path cacheRoot = Path.of(System.getProperty("java.io.tmpdir"), "d2o-model-cache");
      Path local = HadoopFiles.localModelDir(location, cacheRoot, conf);
      p = Pretrained.load(local, root);
      MODELS.put(key, p);
      LOADS.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
    }
    return p;
  }

  /**
   * How many times this JVM loaded {@code location} under {@code role} (for tests: once per JVM).
   */
  public static int loads(String role, String location) {
    AtomicInteger n = LOADS.get(role + "@" + location);
    return n == null ? 0 : n.get();
  }

  /** Drops every cached model of this JVM (between runs in one process). */
  public static synchronized void clear() {
    MODELS.values().forEach(Pretrained::close);
    MODELS.clear();
    LOADS.clear();
  }
}
