package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.error.InputException;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.spark.testing.Weights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retries as Airflow, Databricks and YARN make them: the same command line again after a crash.
 * Every command runs through {@link SparkMain} on one session that exists before it and outlives
 * it, as a Databricks job cluster's tasks share one (the commands must neither stop it nor exit).
 * Each stage command, rerun after a crash, reuses what was complete and redoes the rest, and ends
 * with what an uninterrupted run gives; a changed configuration is refused, naming the keys.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class CommandRetryIT extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;

  private static String[] cmd(String command, Path runDir, String... more) {
    List<String> a =
        new ArrayList<>(
            List.of(
                command,
                "--conf",
                "../conf/local.conf",
                "--set",
                "run.dir=" + runDir,
                "--set",
                "data.input=../data-samples/harmless/train.jsonl",
                "--set",
                "data.maxRows=16",
                "--set",
                "model.path=../data-samples/model",
                "--set",
                "data.eval=../data-samples/harmless/eval.jsonl",
                "--set",
                "eval.costModel=../data-samples/cost-model",
                "--set",
                "anchors.numSamples=2",
                "--set",
                "anchors.maxNewTokens=8",
                "--set",
                "train.maxSteps=6",
                "--set",
                "train.batchSize=4",
                "--set",
                "train.checkpointEvery=2",
                "--set",
                "eval.maxPrompts=8",
                "--set",
                "eval.maxNewTokens=8",
                "--set",
                "eval.every=0"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  /** Runs a command as a Databricks JAR task or spark-submit runs it. */
  private static void launch(String... args) throws Exception {
    SparkMain.main(args);
    assertFalse(spark.sparkContext().isStopped(), "the shared context outlives the command");
  }

  /** Runs a command with {@code property} set (a fault), which must make it fail. */
  private static Exception crash(String property, String value, String... args) {
    System.setProperty(property, value);
    try {
      return assertThrows(Exception.class, () -> launch(args));
    } finally {
      System.clearProperty(property);
    }
  }

  @AfterEach
  void theSharedSessionIsStillUsable() {
    assertEquals(3, spark.range(3).count());
  }

  @Test
  @Order(1)
  void anUninterruptedRun() throws Exception {
    launch(cmd("run", tmp.resolve("a")));
    assertTrue(Files.exists(tmp.resolve("a/final/model.safetensors")));
    assertTrue(Files.exists(tmp.resolve("a/eval/report.json")));
  }

  @Test
  @Order(2)
  void anchorsRerunAfterACrashRedoesThemAndThenReusesThem() throws Exception {
    Path b = tmp.resolve("b");
    String[] command = cmd("anchors", b);
    // partition 0: the 16 rows are one canonical group (anchors.batchSize = 16), so it holds them
    Exception e = crash("d2o.fault.anchors", "0", command);
    assertTrue(String.valueOf(e.getMessage()).contains("injected fault at anchors"), e.toString());
    assertFalse(Files.exists(b.resolve("anchors/_SUCCESS")), "the crashed attempt left no anchors");

    launch(command); // the retry
    assertEquals(rows(tmp.resolve("a/anchors")), rows(b.resolve("anchors")));

    List<Path> files = files(b.resolve("anchors"));
    long written = Files.getLastModifiedTime(b.resolve("anchors/_SUCCESS")).toMillis();
    launch(command); // a retry after success
    assertEquals(files, files(b.resolve("anchors")));
    assertEquals(written, Files.getLastModifiedTime(b.resolve("anchors/_SUCCESS")).toMillis());
    JsonNode summary = JSON.readTree(b.resolve("summary.json").toFile());
    String anchors = summary.get("anchors").asText();
    assertTrue(anchors.startsWith("reused ") && anchors.endsWith("/b/anchors"), anchors);
  }

  @Test
  @Order(3)
  void trainRerunAfterADriverCrashContinuesToTheSameWeights() throws Exception {
    Path b = tmp.resolve("b");
    crash("d2o.fault.driver", "3", cmd("train", b)); // after checkpoint-00000002
    assertTrue(Files.exists(b.resolve("checkpoints/checkpoint-00000002/_COMPLETE")));
    assertFalse(Files.exists(b.resolve("final")));

    launch(cmd("train", b)); // the same command line, no --resume
    assertEquals(6, Files.readAllLines(b.resolve("metrics.jsonl")).size());
    double diff =
        Weights.maxAbsDiff(
            tmp.resolve("a/final/model.safetensors"), b.resolve("final/model.safetensors"));
    assertEquals(0.0, diff, "max |dw| after the retry");
  }

  @Test
  @Order(4)
  void evaluateRerunOverWhatACrashLeftGivesTheUninterruptedReport() throws Exception {
    Path out = Files.createDirectories(tmp.resolve("b-eval"));
    // what an attempt that died while writing its report leaves behind
    Files.writeString(out.resolve("generations.jsonl"), "{\"id\": \"row-0\", \"prom");
    Files.writeString(out.resolve(".report.json.tmp"), "{\"prompts\": 8, \"refer");
    Files.writeString(out.resolve("report.json"), "{}");
    Path b = tmp.resolve("b");
    launch(
        cmd(
            "evaluate",
            b,
            "--policy",
            b.resolve("final").toString(),
            "--output",
            out.toString(),
            "--metrics",
            b.resolve("metrics.jsonl").toString()));
    JsonNode expected = JSON.readTree(tmp.resolve("a/eval/report.json").toFile());
    JsonNode got = JSON.readTree(out.resolve("report.json").toFile());
    for (String part : List.of("prompts", "reference", "policy")) {
      assertEquals(expected.get(part), got.get(part), part);
    }
    assertEquals(
        Files.readString(tmp.resolve("a/eval/generations.jsonl")),
        Files.readString(out.resolve("generations.jsonl")));
  }

  @Test
  @Order(5)
  void runRerunAfterADriverCrashEndsAsTheUninterruptedRun() throws Exception {
    Path c = tmp.resolve("c");
    crash("d2o.fault.driver", "5", cmd("run", c)); // after checkpoint-00000004
    launch(cmd("run", c));
    JsonNode summary = JSON.readTree(c.resolve("summary.json").toFile());
    assertTrue(summary.get("anchors").asText().startsWith("reused"), summary.toString());
    assertEquals(
        0.0,
        Weights.maxAbsDiff(
            tmp.resolve("a/final/model.safetensors"), c.resolve("final/model.safetensors")));
    JsonNode expected = JSON.readTree(tmp.resolve("a/eval/report.json").toFile());
    JsonNode got = JSON.readTree(c.resolve("eval/report.json").toFile());
    for (String part : List.of("prompts", "reference", "policy")) {
      assertEquals(expected.get(part), got.get(part), part);
    }
  }

  @Test
  @Order(6)
  void aChangedConfigurationIsRefusedNamingTheKeys() {
    Path c = tmp.resolve("c");
    InputException e =
        assertThrows(
            InputException.class,
            () -> launch(cmd("run", c, "--set", "train.beta=0.2", "--set", "anchors.topK=5")));
    assertEquals(
        "run directory "
            + c
            + " already holds a run with a different training configuration (anchors.topK (0 -> 5),"
            + " train.beta (0.1 -> 0.2)); rerun with its configuration to continue it, pass"
            + " --overwrite to replace it, or choose another run.dir",
        e.getMessage());
  }

  @Test
  @Order(7)
  void anInvalidCommandLineThrowsInsteadOfExiting() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> launch("run", "--no-such-option"));
    assertEquals("d2o: Unknown option: '--no-such-option'", e.getMessage());
  }

  private static List<String> rows(Path anchors) {
    return spark.read().parquet(anchors.toString()).orderBy("id").collectAsList().stream()
        .map(Row::toString)
        .toList();
  }

  private static List<Path> files(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.sorted().toList();
    }
  }
}
