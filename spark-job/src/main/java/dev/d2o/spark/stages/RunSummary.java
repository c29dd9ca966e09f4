package dev.d2o.spark.stages;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.spark.ClusterEvents;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.io.RunDir;
import dev.d2o.spark.train.TrainStage;
import dev.d2o.train.StepResult;
import java.util.List;

/**
 * The run summary ({@code summary.json}), built as the stages finish: what was read, rejected and
 * trained on, how long each stage took, where the outputs are, and what the cluster did.
 */
final class RunSummary {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RunDir run;
  private final ObjectNode node = JSON.createObjectNode();
  private final String preset;

  RunSummary(RunDir run, JobConfig cfg) {
    this.run = run;
    this.preset = cfg.get(Keys.DATA_PRESET);
    node.put("run_dir", run.root().toString());
    node.put("config_hash", cfg.trainingHash());
  }

  /** Rows read and rejected (by reason). */
  void input(InputData.Loaded in) {
    node.put("input_rows", in.sourceRows());
    if (!preset.equals("none")) {
      node.put("rows_from_preset", in.total()); // one per negative, and one per skipped input row
    }
    node.put("rejected_rows", in.rejectedCount());
    node.set("rejected_by_reason", JSON.valueToTree(in.rejected()));
  }

  /** A single fact. */
  void put(String key, String value) {
    node.put(key, value);
  }

  /** Whether the summary has {@code key} already. */
  boolean has(String key) {
    return node.has(key);
  }

  /** A single count. */
  void put(String key, long value) {
    node.put(key, value);
  }

  /** The seconds since {@code startNanos} under {@code key} ({@code seconds_train}, ...). */
  void seconds(String key, long startNanos) {
    node.put(key, (System.nanoTime() - startNanos) / 1e9);
  }

  /** A training stage's start (fresh or resumed), steps, final model and last step's metrics. */
  void trained(TrainStage.Result r) {
    node.put("train_start", r.start());
    node.put("steps", r.steps().size());
    node.put("final_model", r.finalModel());
    List<StepResult> steps = r.steps();
    if (!steps.isEmpty()) {
      node.set("last_step", JSON.valueToTree(steps.get(steps.size() - 1).metrics()));
    }
  }

  /** The evaluation: how many held-out prompts and where the report is. */
  void evaluated(int prompts, String report) {
    node.putObject("eval").put("prompts", prompts).put("report", report);
  }

  /** Executors lost and task attempts retried during the run. */
  void cluster(ClusterEvents events) {
    node.set("cluster", JSON.valueToTree(events.summary()));
  }

  /** Writes {@code summary.json} and returns the summary. */
  ObjectNode write() {
    try {
      run.write("summary.json", JSON.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    return node;
  }
}
