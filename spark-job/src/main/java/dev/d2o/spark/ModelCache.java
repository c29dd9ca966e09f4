package dev.d2o.spark;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.io.HadoopFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models of one JVM (driver or executor), loaded once and shared by every task that runs there:
 * DJL's Spark {@code ModelLoader} pattern, a small serializable descriptor ({@link ModelSpec}) in
 * the closure and the heavy model in a static cache. A model is keyed by (directory, storage type,
 * devices, whether tasks change it), so the anchors stage's reference and a LoRA policy's frozen
 * base are one copy. The cache holds at most {@link #CAPACITY} models (the most a stage uses at
 * once: a policy and a reference) and closes the least recently used one to make room; {@link
 * #release} drops a model that is no longer needed before a larger one loads. Remote model
 * directories are copied to a local cache directory once first.
 */
public final class ModelCache {
  /** Models held at once. */
  public static final int CAPACITY = 2;

  private static final Logger LOG = LoggerFactory.getLogger(ModelCache.class);
  private static final Map<String, Pretrained> MODELS = new LinkedHashMap<>(8, 0.75f, true);
  private static final Map<ModelSpec, AtomicInteger> LOADS = new ConcurrentHashMap<>();
  private static final Map<Device, NDManager> ROOTS = new HashMap<>();
  private static final List<Consumer<Pretrained>> ON_CLOSE = new ArrayList<>();

  private ModelCache() {}

  /**
   * The model of {@code spec}: loaded on first use in this JVM, then shared. Callers must not close
   * it.
   */
  public static synchronized Pretrained get(ModelSpec spec, Configuration conf) {
    List<Device> devices = Devices.resolve(spec.devices());
    String key = spec + "@" + devices;
    Pretrained p = MODELS.get(key);
    if (p == null) {
      dev.d2o.model.NativePlatform.require(); // executors too: a node of another platform says so
      while (MODELS.size() >= CAPACITY) {
        Iterator<Map.Entry<String, Pretrained>> eldest = MODELS.entrySet().iterator();
        Map.Entry<String, Pretrained> e = eldest.next();
        eldest.remove();
        LOG.info("model cache full: closing {}", e.getKey());
        close(e.getValue());
      }
      p = load(spec, devices, conf);
      MODELS.put(key, p);
      LOADS.computeIfAbsent(spec, k -> new AtomicInteger()).incrementAndGet();
    }
    return p;
  }

  /**
   * A copy of the model of {@code spec} that the cache does not hold, count or evict: a further
   * policy replica of a full fine-tuning run (one per gradient task running at once). The caller
   * closes it.
   */
  public static synchronized Pretrained loadUncached(ModelSpec spec, Configuration conf) {
    return load(spec, Devices.resolve(spec.devices()), conf);
  }

  private static Pretrained load(ModelSpec spec, List<Device> devices, Configuration conf) {
    NDManager root = ROOTS.computeIfAbsent(devices.get(0), NDManager::newBaseManager);
    Path cacheRoot = Path.of(System.getProperty("java.io.tmpdir"), "d2o-model-cache");
    Path local = HadoopFiles.localModelDir(spec.location(), cacheRoot, conf);
    return Pretrained.load(local, root, spec.options(devices));
  }

  /** Closes and drops the models of {@code spec} in this JVM (on any devices), if loaded. */
  public static synchronized void release(ModelSpec spec) {
    Iterator<Map.Entry<String, Pretrained>> it = MODELS.entrySet().iterator();
    while (it.hasNext()) {
      Map.Entry<String, Pretrained> e = it.next();
      if (e.getKey().startsWith(spec + "@")) {
        it.remove();
        LOG.info("released {}", e.getKey());
        close(e.getValue());
      }
    }
  }

  /** Whether a model of {@code spec} is loaded in this JVM. */
  public static synchronized boolean holds(ModelSpec spec) {
    return MODELS.keySet().stream().anyMatch(k -> k.startsWith(spec + "@"));
  }

  /** Runs {@code listener} with each model the cache closes (whoever built on it lets go). */
  static synchronized void onClose(Consumer<Pretrained> listener) {
    ON_CLOSE.add(listener);
  }

  /** How many times this JVM loaded {@code spec} (for tests: once per JVM). */
  public static int loads(ModelSpec spec) {
    AtomicInteger n = LOADS.get(spec);
    return n == null ? 0 : n.get();
  }

  /** Drops every cached model of this JVM (between runs in one process). */
  public static synchronized void clear() {
    MODELS.values().forEach(ModelCache::close);
    MODELS.clear();
    LOADS.clear();
  }

  private static void close(Pretrained p) {
    ON_CLOSE.forEach(l -> l.accept(p));
    p.close();
  }
}
