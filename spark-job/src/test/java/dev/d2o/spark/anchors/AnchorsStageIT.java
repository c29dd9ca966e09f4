package dev.d2o.spark.anchors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.spark.ModelCache;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.InputData;
import dev.d2o.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Anchors do not depend on partitioning or task retries, and the reference loads once per executor
 * JVM.
 */
class AnchorsStageIT {
  @TempDir static Path tmp;
  static SparkSession spark;
  static JobConfig cfg;
  static Dataset<Row> input;

  @BeforeAll
  static void setUp() throws Exception {
    // local[2,3]: two threads, and a failed task is retried (up to 3 attempts)
    spark =
        SparkSession.builder()
            .master("local[2,3]")
            .appName("anchors-it")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .getOrCreate();
    Path model = TinyModels.writeRandom(TinyModels.llama(), 5, tmp.resolve("model"));
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 12; i++) {
      sb.append("{\"id\": \"p")
          .append(i)
          .append("\", \"prompt\": \"Question number ")
          .append(i)
          .append("?\", \"negative\": \"A bad answer ")
          .append(i)
          .append("\"}\n");
    }
    Files.writeString(tmp.resolve("in.jsonl"), sb.toString());
    cfg =
        JobConfig.defaults()
            .with(Keys.MODEL_PATH, model.toString())
            .with(Keys.ANCHORS_NUM, 3)
            .with(Keys.ANCHORS_MAX_NEW_TOKENS, 8)
            .with(Keys.RUN_SEED, 7);
    input =
        InputData.load(
                spark, tmp.resolve("in.jsonl").toString(), "auto", tmp.resolve("rej").toString())
            .valid();
  }

  @AfterAll
  static void tearDown() {
    spark.stop();
    System.clearProperty("d2o.fault.anchors");
  }

  private static List<AnchorRow> anchors(int partitions, String name) {
    Dataset<Row> out =
        AnchorsStage.run(spark, cfg, input.repartition(partitions), tmp.resolve(name).toString());
    return out.collectAsList().stream()
        .map(AnchorRow::fromRow)
        .sorted(Comparator.comparing(AnchorRow::id))
        .toList();
  }

  @Test
  void progressLinesAndTheJobDescription() {
    List<String> descriptions = new java.util.concurrent.CopyOnWriteArrayList<>();
    SparkListener jobs =
        new SparkListener() {
          @Override
          public void onJobStart(SparkListenerJobStart start) {
            descriptions.add(
                String.valueOf(start.properties().getProperty("spark.job.description")));
          }
        };
    spark.sparkContext().addSparkListener(jobs);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrintStream stdout = System.out;
    System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
    try {
      anchors(2, "progress");
    } finally {
      System.setOut(stdout);
      spark.sparkContext().removeSparkListener(jobs);
    }
    List<String> lines =
        out.toString(StandardCharsets.UTF_8).lines().filter(l -> l.startsWith("anchors ")).toList();
    assertTrue(
        lines
            .get(lines.size() - 1)
            .matches("anchors 12/12 prompts \\(100%\\)  [0-9.]+ prompts/s  in \\dm\\d\\ds"),
        lines.toString());
    assertTrue(descriptions.contains("d2o anchors: 12 prompts"), descriptions.toString());
  }

  @Test
  void sameAnchorsForOneAndFourPartitionsAndUnderARetriedTask() {
    List<AnchorRow> one = anchors(1, "a1");
    List<AnchorRow> four = anchors(4, "a4");
    System.setProperty("d2o.fault.anchors", "1");
    List<AnchorRow> retried;
    try {
      retried = anchors(4, "a4-retry");
    } finally {
      System.clearProperty("d2o.fault.anchors");
    }
    assertEquals(12, one.size());
    for (List<AnchorRow> other : List.of(four, retried)) {
      assertEquals(one.size(), other.size());
      for (int i = 0; i < one.size(); i++) {
        AnchorRow a = one.get(i);
        AnchorRow b = other.get(i);
        assertEquals(a.id(), b.id());
        assertEquals(3, a.anchorIds().length);
        for (int j = 0; j < 3; j++) {
          assertArrayEquals(a.anchorIds()[j], b.anchorIds()[j], a.id() + " anchor " + j);
          assertEquals(a.refLogpAnchors()[j], b.refLogpAnchors()[j], 1e-4);
        }
        assertEquals(a.refLogpNegative(), b.refLogpNegative(), 1e-4);
        assertEquals(a.anchors(), b.anchors());
      }
    }
    assertTrue(one.get(0).refLogpNegative() < 0);
    assertEquals(
        TinyModels.EOS,
        one.get(0).negativeIds()[one.get(0).negativeIds().length - 1],
        "negative ends with EOS");
    // three stage runs, two threads, many tasks: one load in this (driver = executor) JVM
    assertEquals(1, ModelCache.loads("reference", cfg.get(Keys.MODEL_PATH)));
  }
}
