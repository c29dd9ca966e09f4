package dev.d2o.spark;

import dev.d2o.model.Pretrained;
import dev.d2o.train.GradientComputer;
import dev.d2o.train.GradientSums;
import dev.d2o.train.LossConfig;
import dev.d2o.train.TrainExample;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;

/**
 * The policy replica of one executor JVM: a model loaded once ({@link ModelCache}, role "policy") with its gradient
 * computer. A task brings the weights version it must use; a replica that lags copies the broadcast weights in
 * first. Versions are tagged with the run, so a replica left from another run in the same JVM re-syncs too.
 */
public final class PolicyReplica {
  private static final Map<String, PolicyReplica> REPLICAS = new HashMap<>();

  private final Pretrained model;
  private final GradientComputer computer;
  private String runId;
  private long version = -1;

  private PolicyReplica(Pretrained model, GradientComputer computer) {
    this.model = model;
    this.computer = computer;
  }

  /** The replica of {@code modelPath} in this JVM, on {@code device} ({@code model.device}). */
  public static synchronized PolicyReplica of(String modelPath, LossConfig loss, int chunk, Configuration conf,
      String device) {
    String key = modelPath + "|" + loss + "|" + chunk;
    return REPLICAS.computeIfAbsent(key, k -> {
      Pretrained p = ModelCache.get("policy", modelPath, conf, device);
      return new PolicyReplica(p, new GradientComputer(p.model(), loss, chunk));
    });
  }

  /**
   * Gradient sums over {@code rows} at weights {@code (runId, version)}; {@code weights} supplies them (a broadcast
   * read) only when this replica lags. Tasks of one JVM take turns: the gradient collector is one per JVM anyway.
   */
  public synchronized GradientSums compute(String run, long v, WeightsSource weights, List<TrainExample> rows) {
    sync(run, v, weights);
    return computer.compute(rows);
  }

  /** Runs {@code body} on the policy at weights {@code (runId, version)} (anchor refresh: sampling from it). */
  public synchronized <T> T withModel(String run, long v, WeightsSource weights, Function<Pretrained, T> body) {
    sync(run, v, weights);
    return body.apply(model);
  }

  private void sync(String run, long v, WeightsSource weights) {
    if (!run.equals(runId) || v != version) {
      computer.setWeights(v, weights.get());
      runId = run;
      version = v;
    }
  }

  /** Per-example sequence log-probs at weights {@code (runId, version)}: [row][K anchors…, negative]. */
  public synchronized float[][] sequenceLogps(String run, long v, WeightsSource weights, List<TrainExample> rows) {
    sync(run, v, weights);
    return computer.sequenceLogps(rows);
  }

  /** Supplies the weights of a version (a broadcast value). */
  @FunctionalInterface
  public interface WeightsSource {
    /** The weights, per parameter in parameter order. */
    float[][] get();
  }
}
