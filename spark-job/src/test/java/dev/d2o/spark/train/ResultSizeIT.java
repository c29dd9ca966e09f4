package dev.d2o.spark.train;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.ConfigException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.Prompts;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A session whose {@code spark.driver.maxResultSize} cannot hold a step's gradient results is
 * refused at start-up, before the anchors stage does any work, with the size to set.
 */
class ResultSizeIT extends SparkTestBase {
  @TempDir Path tmp;

  @Test
  void aTooSmallMaxResultSizeIsRefusedBeforeAnyStageRuns() throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.llama(), 1, tmp.resolve("model"));
    Prompts.writeJsonl(tmp.resolve("in.jsonl"), 4);
    // the test session keeps Spark's default 1g; 1100 results of ≥ 1 MB each do not fit
    JobConfig cfg =
        JobConfig.load(
            null,
            List.of(
                "model.path=" + model,
                "data.input=" + tmp.resolve("in.jsonl"),
                "run.dir=" + tmp.resolve("run"),
                "train.gradientTasks=1100"));
    ConfigException e =
        assertThrows(
            ConfigException.class,
            () -> Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false));
    assertTrue(
        e.getMessage().startsWith("spark.driver.maxResultSize = 1g is too small for this run's")
            && e.getMessage().contains("1100 tasks (train.gradientTasks)")
            && e.getMessage().contains("spark-submit --conf spark.driver.maxResultSize="),
        e.getMessage());
    assertFalse(Files.exists(tmp.resolve("run/anchors")), "no anchors were generated");
  }
}
