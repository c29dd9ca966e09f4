package dev.d2o.spark;

import dev.d2o.model.CausalLM;
import dev.d2o.model.EngineThreads;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.model.TextTokenizer;
import dev.d2o.train.GradientComputer;
import dev.d2o.train.GradientSums;
import dev.d2o.train.LossConfig;
import dev.d2o.train.SftExample;
import dev.d2o.train.TrainExample;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;

/**
 * A policy replica of one executor JVM with its gradient computer. For full fine-tuning it is a
 * model of its own ({@link ModelCache}, a mutable F32 {@link ModelSpec}); with LoRA it is the
 * cached frozen base (the anchors stage's reference, in {@code model.dtype}) plus adapters ({@link
 * CausalLM#withAdapters}): one copy of the base weights per JVM, shared by reference scoring
 * (adapters off) and the policy. A task brings the weights version it must use; a replica that lags
 * copies the broadcast weights (all weights, or only the adapters) in first. Versions are tagged
 * with the run, so a replica left from another run in the same JVM re-syncs too.
 *
 * <p>A gradient task {@linkplain #borrow borrows} a free replica of its recipe and returns it
 * after, so that tasks of one JVM compute at the same time, each on its own replica ({@link
 * dev.d2o.train.ThreadGradientScope}): a JVM holds as many replicas as it ran gradient tasks at
 * once (one on a cluster executor whose {@code spark.task.cpus} is its cores; two in {@code
 * local[2]} with {@code train.gradientTasks} = 2). The first replica of a recipe is built on the
 * cached model; with full fine-tuning each further one loads its own F32 copy outside the cache (so
 * it never evicts the reference), with LoRA it shares the frozen base and owns only its adapters.
 * When the cache closes a model, the replicas built on it go too.
 */
public final class PolicyReplica {
  // concurrent, and dropBuiltOn takes no lock of this class: the cache calls it holding its own
  // lock, which borrow() takes while holding this class's (building a replica loads a model)
  private static final Map<String, Pool> POOLS = new ConcurrentHashMap<>();

  static {
    ModelCache.onClose(PolicyReplica::dropBuiltOn);
  }

  private final CausalLM model;
  private final Pretrained files; // the tokenizer is read only when sampling needs it
  private final Pretrained owned; // an extra full fine-tuning replica's own copy, else null
  private final GradientComputer computer;
  private final int engineThreads;
  private String runId;
  private long version = -1;
  private long computeStart;
  private long computeEnd;

  /**
   * What {@link #withModel} hands its body: the policy at the requested weights, the tokenizer, and
   * the gradient computer (whose {@code sequenceLogps} packs rows as its gradients do).
   */
  public record View(CausalLM model, TextTokenizer tokenizer, GradientComputer computer) {}

  /**
   * What a replica is built from.
   *
   * @param model the policy's model: the frozen base with LoRA, else a trainable (F32) copy
   * @param lora the adapters' configuration, or null for full fine-tuning
   * @param loss the loss
   * @param chunk examples per forward/backward pass
   * @param tokensPerBackward {@code train.tokensPerBackward}
   * @param release a model to release from the cache before this replica loads (the anchors stage's
   *     reference when training no longer needs it), or null
   * @param engineThreads engine threads of a gradient task ({@link EngineThreads#use}); 0 for the
   *     JVM's count
   */
  public record Recipe(
      ModelSpec model,
      LoraConfig lora,
      LossConfig loss,
      int chunk,
      int tokensPerBackward,
      ModelSpec release,
      int engineThreads)
      implements java.io.Serializable {
    private static final long serialVersionUID = 2L;

    /** A recipe whose tasks use the JVM's engine thread count. */
    public Recipe(
        ModelSpec model,
        LoraConfig lora,
        LossConfig loss,
        int chunk,
        int tokensPerBackward,
        ModelSpec release) {
      this(model, lora, loss, chunk, tokensPerBackward, release, 0);
    }
  }

  /** A replica lent to one task; closing returns it. */
  public static final class Lease implements AutoCloseable {
    private final Pool pool;
    private final PolicyReplica replica;

    private Lease(Pool pool, PolicyReplica replica) {
      this.pool = pool;
      this.replica = replica;
    }

    /** The borrowed replica. */
    public PolicyReplica replica() {
      return replica;
    }

    @Override
    public void close() {
      synchronized (PolicyReplica.class) {
        pool.free.push(replica);
      }
    }
  }

  /** The replicas of one recipe in this JVM: the first on the cached model, then extras. */
  private static final class Pool {
    final List<PolicyReplica> all = new CopyOnWriteArrayList<>();
    final Deque<PolicyReplica> free = new ArrayDeque<>();
  }

  private PolicyReplica(
      CausalLM model, Pretrained files, Pretrained owned, GradientComputer computer, int threads) {
    this.model = model;
    this.files = files;
    this.owned = owned;
    this.computer = computer;
    this.engineThreads = threads;
  }

  /**
   * The first replica of {@code recipe} in this JVM, built on first use (anchor refresh, the probe
   * and tests; gradient tasks {@link #borrow}).
   */
  public static synchronized PolicyReplica of(Recipe recipe, Configuration conf) {
    Pool pool = pool(recipe, conf);
    return pool.all.get(0);
  }

  /** A free replica of {@code recipe}, built when every one is lent; close the lease after. */
  public static synchronized Lease borrow(Recipe recipe, Configuration conf) {
    Pool pool = pool(recipe, conf);
    PolicyReplica r = pool.free.poll();
    if (r == null) {
      r = build(recipe, conf, true);
      pool.all.add(r);
    }
    return new Lease(pool, r);
  }

  /** How many replicas of {@code recipe} this JVM holds (for tests). */
  public static synchronized int count(Recipe recipe) {
    Pool pool = POOLS.get(recipe.toString());
    return pool == null ? 0 : pool.all.size();
  }

  private static Pool pool(Recipe recipe, Configuration conf) {
    Pool pool = POOLS.get(recipe.toString());
    if (pool == null) {
      if (recipe.release() != null) {
        ModelCache.release(recipe.release());
      }
      pool = new Pool();
      PolicyReplica first = build(recipe, conf, false);
      pool.all.add(first);
      pool.free.push(first);
      POOLS.put(recipe.toString(), pool);
    }
    return pool;
  }

  private static PolicyReplica build(Recipe recipe, Configuration conf, boolean extra) {
    Pretrained p = ModelCache.get(recipe.model(), conf);
    LoraConfig lora = recipe.lora();
    Pretrained owned = extra && lora == null ? ModelCache.loadUncached(recipe.model(), conf) : null;
    // the adapters' values come with the first sync; their init only has to have the right shapes
    CausalLM policy =
        lora == null
            ? (owned != null ? owned : p).model()
            : p.model()
                .withAdapters(LoraAdapters.init(p.model().config(), lora, 0, p.model().manager()));
    GradientComputer computer =
        new GradientComputer(policy, recipe.loss(), recipe.chunk(), recipe.tokensPerBackward());
    return new PolicyReplica(policy, p, owned, computer, recipe.engineThreads());
  }

  /** Drops the pools built on {@code closed}, closing the extra replicas' own copies. */
  private static void dropBuiltOn(Pretrained closed) {
    POOLS
        .values()
        .removeIf(
            pool -> {
              if (pool.all.get(0).files != closed) {
                return false;
              }
              pool.all.stream().filter(r -> r.owned != null).forEach(r -> r.owned.close());
              return true;
            });
  }

  /** The policy model (with LoRA: a view whose {@code base()} is the cached reference). */
  public CausalLM model() {
    return model;
  }

  /**
   * Gradient sums over {@code rows} at weights {@code (runId, version)}; {@code weights} supplies
   * them (a broadcast read) only when this replica lags. Runs with the recipe's engine threads in
   * this thread.
   */
  public synchronized GradientSums compute(
      String run, long v, WeightsSource weights, List<TrainExample> rows) {
    sync(run, v, weights);
    return timed(() -> computer.compute(rows));
  }

  /** Next-token (SFT) gradient sums over {@code rows} at weights {@code (runId, version)}. */
  public synchronized GradientSums computeSft(
      String run, long v, WeightsSource weights, List<SftExample> rows) {
    sync(run, v, weights);
    return timed(() -> computer.computeSft(rows));
  }

  /**
   * The wall-clock interval of this replica's last gradient computation, in nanoseconds since the
   * epoch: {start, end}. Comparable between the threads and JVMs of one machine.
   */
  public synchronized long[] lastCompute() {
    return new long[] {computeStart, computeEnd};
  }

  private GradientSums timed(java.util.function.Supplier<GradientSums> body) {
    // a task thread: the recipe's count, or MKL's threads as the JVM's (see EngineThreads)
    try (EngineThreads.Restore threads = EngineThreads.use(engineThreads)) {
      computeStart = epochNanos(); // inside the lock: a task waiting for another is not counted
      long t0 = System.nanoTime();
      GradientSums sums = body.get();
      sums.addComputeSeconds((System.nanoTime() - t0) / 1e9);
      computeEnd = epochNanos();
      return sums;
    }
  }

  private static long epochNanos() {
    java.time.Instant now = java.time.Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  /**
   * Runs {@code body} on the policy at weights {@code (runId, version)} (anchor refresh: sampling
   * from it; reference update: scoring with it; the harmful-rate probe).
   */
  public synchronized <T> T withModel(
      String run, long v, WeightsSource weights, Function<View, T> body) {
    sync(run, v, weights);
    return body.apply(new View(model, files.tokenizer(), computer));
  }

  /**
   * Copies the weights of {@code (run, v)} in when this replica lags; returns whether it did (a
   * read of the broadcast).
   */
  public synchronized boolean sync(String run, long v, WeightsSource weights) {
    if (!run.equals(runId) || v != version) {
      computer.setWeights(v, weights.get());
      runId = run;
      version = v;
      return true;
    }
    return false;
  }

  /** Supplies the weights of a version (a broadcast value). */
  @FunctionalInterface
  public interface WeightsSource {
    /** The trainable weights, in {@code trainableParameters()} order. */
    float[][] get();
  }
}
