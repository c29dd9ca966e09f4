package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The sft stage: the distributed step with the next-token loss learns a small corpus. */
class SftStageIT extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void nextTokenLossFallsAndTheModelIsSaved() throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.gpt2(), 2, tmp.resolve("model"));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      sb.append("{\"id\": \"s")
          .append(i)
          .append("\", \"prompt\": \"Q")
          .append(i % 2)
          .append(":\", \"response\": \"")
          .append(i % 2 == 0 ? "yes yes" : "no no")
          .append("\"}\n");
    }
    sb.append("{\"id\": \"bad\", \"prompt\": \"Q\", \"response\": \" \"}\n");
    Files.writeString(tmp.resolve("sft.jsonl"), sb.toString());
    JobConfig cfg =
        JobConfig.load(
            null,
            List.of(
                "model.path=" + model,
                "data.input=" + tmp.resolve("sft.jsonl"),
                "run.dir=" + tmp.resolve("run"),
                "run.partitions=2",
                "train.batchSize=4",
                "train.maxSteps=25",
                "train.learningRate=0.01",
                "train.schedule=constant"));
    var summary = Pipeline.run(spark, cfg, Pipeline.Stage.SFT, false, false);
    assertEquals(
        1,
        summary.get("rejected_rows").asInt(),
        "the whitespace-only response is rejected, not dropped");
    assertEquals("{\"empty response\":1}", summary.get("rejected_by_reason").toString());
    List<String> lines = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
    double first = JSON.readTree(lines.get(0)).get("loss").asDouble();
    double last = JSON.readTree(lines.get(lines.size() - 1)).get("loss").asDouble();
    assertTrue(first > 4 && last < first / 4, "next-token loss from " + first + " to " + last);
    assertTrue(!lines.get(0).contains("rewards/"), "no D2O reward metrics for the next-token loss");
    assertTrue(Files.isRegularFile(tmp.resolve("run/final/model.safetensors")));
  }
}
