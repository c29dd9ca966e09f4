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
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;

/**
 * The policy replica of one executor JVM with its gradient computer. For full fine-tuning it is a
 * model of its own ({@link ModelCache}, a mutable F32 {@link ModelSpec}); with LoRA it is the
 * cached frozen base (the anchors stage's reference, in {@code model.dtype}) plus adapters ({@link
 * CausalLM#withAdapters}): one copy of the base weights per JVM, shared by reference scoring
 * (adapters off) and the policy. A task brings the weights version it must use; a replica that lags
 * copies the broadcast weights (all weights, or only the adapters) in first. Versions are tagged
 * with the run, so a replica left from another run in the same JVM re-syncs too. When the cache
 * closes a model, the replicas built on it go too.
 */
public final class PolicyReplica {
  private static final Map<String, PolicyReplica> REPLICAS = new ConcurrentHashMap<>();

  static {
    ModelCache.onClose(closed -> REPLICAS.values().removeIf(r -> r.files == closed));
  }

  private final CausalLM model;
  private final Pretrained files; // the tokenizer is read only when sampling needs it
  private final GradientComputer computer;
  private String runId;
  private long version = -1;

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
   */
  public record Recipe(
      ModelSpec model,
      LoraConfig lora,
      LossConfig loss,
      int chunk,
      int tokensPerBackward,
      ModelSpec release)
      implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
  }

  private PolicyReplica(CausalLM model, Pretrained files, GradientComputer computer) {
    this.model = model;
    this.files = files;
    this.computer = computer;
  }

  /** The replica of {@code recipe} in this JVM, built on first use. */
  public static synchronized PolicyReplica of(Recipe recipe, Configuration conf) {
    String key = recipe.toString();
    PolicyReplica r = REPLICAS.get(key);
    if (r == null) {
      if (recipe.release() != null) {
        ModelCache.release(recipe.release());
      }
      Pretrained p = ModelCache.get(recipe.model(), conf);
      LoraConfig lora = recipe.lora();
      // the adapters' values come with the first sync; their init only has to have the right
      // shapes
      CausalLM policy =
          lora == null
              ? p.model()
              : p.model()
                  .withAdapters(
                      LoraAdapters.init(p.model().config(), lora, 0, p.model().manager()));
      r =
          new PolicyReplica(
              policy,
              p,
              new GradientComputer(
                  policy, recipe.loss(), recipe.chunk(), recipe.tokensPerBackward()));
      REPLICAS.put(key, r);
    }
    return r;
  }

  /** The policy model (with LoRA: a view whose {@code base()} is the cached reference). */
  public CausalLM model() {
    return model;
  }

  /**
   * Gradient sums over {@code rows} at weights {@code (runId, version)}; {@code weights} supplies
   * them (a broadcast read) only when this replica lags. Tasks of one JVM take turns: the gradient
   * collector is one per JVM anyway.
   */
  public synchronized GradientSums compute(
      String run, long v, WeightsSource weights, List<TrainExample> rows) {
    sync(run, v, weights);
    EngineThreads.matchInThisThread(); // a task thread: MKL's threads as the JVM's (see there)
    long t0 = System.nanoTime(); // inside the lock: a task waiting for another is not counted
    GradientSums sums = computer.compute(rows);
    sums.addComputeSeconds((System.nanoTime() - t0) / 1e9);
    return sums;
  }

  /** Next-token (SFT) gradient sums over {@code rows} at weights {@code (runId, version)}. */
  public synchronized GradientSums computeSft(
      String run, long v, WeightsSource weights, List<SftExample> rows) {
    sync(run, v, weights);
    EngineThreads.matchInThisThread();
    long t0 = System.nanoTime();
    GradientSums sums = computer.computeSft(rows);
    sums.addComputeSeconds((System.nanoTime() - t0) / 1e9);
    return sums;
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
