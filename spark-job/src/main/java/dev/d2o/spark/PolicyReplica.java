package dev.d2o.spark;

import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.Pretrained;
import dev.d2o.model.TextTokenizer;
import dev.d2o.train.GradientComputer;
import dev.d2o.train.GradientSums;
import dev.d2o.train.LossConfig;
import dev.d2o.train.SftExample;
import dev.d2o.train.TrainExample;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;

/**
 * The policy replica of one executor JVM with its gradient computer. For full fine-tuning it is a
 * model loaded once ({@link ModelCache}, role "policy"); with LoRA it is the cached "reference"
 * model plus adapters ({@link CausalLM#withAdapters}): one copy of the base weights per JVM, shared
 * by reference scoring (adapters off) and the policy. A task brings the weights version it must
 * use; a replica that lags copies the broadcast weights (all weights, or only the adapters) in
 * first. Versions are tagged with the run, so a replica left from another run in the same JVM
 * re-syncs too.
 */
public final class PolicyReplica {
  private static final Map<String, PolicyReplica> REPLICAS = new HashMap<>();

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

  private PolicyReplica(CausalLM model, Pretrained files, GradientComputer computer) {
    this.model = model;
    this.files = files;
    this.computer = computer;
  }

  /** The full fine-tuning replica of {@code modelPath} in this JVM. */
  public static PolicyReplica of(String modelPath, LossConfig loss, int chunk, Configuration conf) {
    return of(modelPath, null, loss, chunk, conf, "cpu");
  }

  /**
   * The replica of {@code modelPath} in this JVM, with {@code lora} adapters on the shared
   * reference when not null.
   */
  public static synchronized PolicyReplica of(
      String modelPath,
      LoraConfig lora,
      LossConfig loss,
      int chunk,
      Configuration conf,
      String device) {
    String key = modelPath + "|" + lora + "|" + loss + "|" + chunk;
    return REPLICAS.computeIfAbsent(
        key,
        k -> {
          Pretrained p =
              ModelCache.get(lora == null ? "policy" : "reference", modelPath, conf, device);
          // the adapters' values come with the first sync; their init only has to have the right
          // shapes
          CausalLM policy =
              lora == null
                  ? p.model()
                  : p.model()
                      .withAdapters(
                          LoraAdapters.init(p.model().config(), lora, 0, p.model().manager()));
          return new PolicyReplica(policy, p, new GradientComputer(policy, loss, chunk));
        });
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
    long t0 = System.nanoTime(); // inside the lock: a task waiting for another is not counted
    GradientSums sums = computer.compute(rows);
    sums.addComputeSeconds((System.nanoTime() - t0) / 1e9);
    return sums;
  }

  /** Next-token (SFT) gradient sums over {@code rows} at weights {@code (runId, version)}. */
  public synchronized GradientSums computeSft(
      String run, long v, WeightsSource weights, List<SftExample> rows) {
    sync(run, v, weights);
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

  private void sync(String run, long v, WeightsSource weights) {
    if (!run.equals(runId) || v != version) {
      computer.setWeights(v, weights.get());
      runId = run;
      version = v;
    }
  }

  /** Supplies the weights of a version (a broadcast value). */
  @FunctionalInterface
  public interface WeightsSource {
    /** The trainable weights, in {@code trainableParameters()} order. */
    float[][] get();
  }
}
