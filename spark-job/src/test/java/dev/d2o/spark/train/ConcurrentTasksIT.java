package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In {@code local[2]} with {@code train.gradientTasks} = 2 the two gradient tasks of a step run at
 * the same time, each on its own replica with one engine thread, and two such runs give the same
 * weights bit for bit however the tasks' timing falls. (That concurrent G = 2 equals the
 * single-process trainer with G = 2 bit for bit is {@code TrainStageIT}'s test.)
 *
 * <p>G = 2 is not G = 1's arithmetic: each task rounds its double sum to float for the trip ({@code
 * GradientSums.forTransport}), so G = 2 rounds two partial sums where G = 1 rounds their total. The
 * first step shows it is only that: the same loss bit for bit (one thread per task computes the
 * same forward pass as the JVM's threads) and a gradient norm within float rounding. Later steps
 * drift apart: where the two partial sums nearly cancel, the rounding is large against their sum,
 * and AdamW's normalized update turns it into a full-size step of either sign.
 */
class ConcurrentTasksIT extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int STEPS = 8;
  @TempDir Path tmp;

  @Test
  void twoTasksOverlapAndRepeatBitForBit() throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.gpt2(), 3, tmp.resolve("model"));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 64; i++) { // ~50-token responses, so that a task computes for a while
      sb.append("{\"id\": \"s")
          .append(i)
          .append("\", \"prompt\": \"Question ")
          .append(i)
          .append(":\", \"response\": \"")
          .append((i % 3 == 0 ? "yes, and again yes " : "no, never, not at all ").repeat(2))
          .append("\"}\n");
    }
    Files.writeString(tmp.resolve("sft.jsonl"), sb.toString());
    List<JsonNode> one = run(model, 1, "g1");
    List<JsonNode> two = run(model, 2, "g2");
    List<JsonNode> again = run(model, 2, "g2-again");

    int overlapped = 0;
    for (int s = 0; s < STEPS; s++) {
      for (String key : List.of("loss", "grad_norm")) {
        assertEquals(
            two.get(s).get(key).asDouble(), again.get(s).get(key).asDouble(), key + " at " + s);
      }
      assertEquals(0.0, one.get(s).get("timing/task_overlap").asDouble(), "one task: no overlap");
      overlapped += two.get(s).get("timing/task_overlap").asDouble() > 0 ? 1 : 0;
      overlapped += again.get(s).get("timing/task_overlap").asDouble() > 0 ? 1 : 0;
    }
    // Tasks taking turns (a shared replica or a JVM-wide lock) never overlap; step 0 builds the
    // second replica while the first computes, and a loaded machine may delay a task's start.
    assertTrue(
        overlapped >= STEPS, "steps of " + 2 * STEPS + " whose tasks overlapped: " + overlapped);
    assertEquals(one.get(0).get("loss").asDouble(), two.get(0).get("loss").asDouble(), "step 0");
    double a = one.get(0).get("grad_norm").asDouble();
    double b = two.get(0).get("grad_norm").asDouble();
    System.out.printf("step 0 grad_norm G=1 %.17g, G=2 %.17g%n", a, b);
    assertTrue(Math.abs(a - b) / a < 1e-6, "step 0's gradient differs beyond float rounding");
    try (NDManager m = NDManager.newBaseManager();
        Pretrained x = Pretrained.load(tmp.resolve("g2/final"), m);
        Pretrained y = Pretrained.load(tmp.resolve("g2-again/final"), m)) {
      List<float[]> wx =
          x.model().parameters().values().stream().map(t -> t.toFloatArray()).toList();
      List<float[]> wy =
          y.model().parameters().values().stream().map(t -> t.toFloatArray()).toList();
      for (int p = 0; p < wx.size(); p++) {
        assertArrayEquals(wx.get(p), wy.get(p), "final weights of parameter " + p);
      }
    }
  }

  private List<JsonNode> run(Path model, int tasks, String dir) throws Exception {
    JobConfig cfg =
        JobConfig.load(
            null,
            List.of(
                "model.path=" + model,
                "data.input=" + tmp.resolve("sft.jsonl"),
                "run.dir=" + tmp.resolve(dir),
                "run.partitions=2",
                "train.batchSize=32",
                "train.chunkSize=16",
                "train.gradientTasks=" + tasks,
                "train.maxSteps=" + STEPS,
                "train.learningRate=0.01",
                "train.schedule=constant"));
    Pipeline.run(spark, cfg, Pipeline.Stage.SFT, false, false);
    List<JsonNode> steps = new ArrayList<>();
    for (String l : Files.readAllLines(tmp.resolve(dir + "/metrics.jsonl"))) {
      steps.add(JSON.readTree(l));
    }
    assertEquals(STEPS, steps.size());
    JsonNode summary = JSON.readTree(tmp.resolve(dir + "/summary.json").toFile());
    assertEquals(tasks, summary.get("train/gradient_tasks").asInt());
    return steps;
  }
}
