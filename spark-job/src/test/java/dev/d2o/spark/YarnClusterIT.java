package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.spark.testing.Submission;
import dev.d2o.spark.testing.Weights;
import dev.d2o.spark.testing.YarnCluster;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.api.records.FinalApplicationStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar in YARN cluster mode (the EMR steps' mode) on a MiniYARNCluster, submitted
 * through {@code deploy/spark-submit.sh --master yarn --deploy-mode cluster}, the configuration
 * file shipped with {@code --files}. The driver runs inside the ApplicationMaster's container, so
 * YARN's own records tell how the application ended: (a) a run ends SUCCEEDED in exactly one
 * attempt (although two are allowed) with its final model; (b) a run with bad input ends FAILED
 * with the project's message in the application's diagnostics; (c) a run whose driver container is
 * SIGKILLed during training is retried by YARN, and the second attempt, running the same command
 * line, continues from the newest checkpoint to the weights of the unfaulted run.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class YarnClusterIT {
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(6);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @TempDir static Path tmp;
  private static YarnCluster yarn;
  private static Path unfaulted;

  @BeforeAll
  static void startYarn() throws Exception {
    Path logs = Path.of("target/yarn-cluster-it").toAbsolutePath();
    org.apache.commons.io.FileUtils.deleteDirectory(logs.toFile());
    yarn = new YarnCluster(Files.createDirectories(logs)).start(4096, 4);
  }

  @AfterAll
  static void stopYarn() {
    if (yarn != null) {
      yarn.close();
    }
  }

  /** A short run of the shipped local.conf, which reaches the driver through --files. */
  private static String[] run(Path runDir, String... more) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "run",
                "--conf",
                "local.conf",
                "--set",
                "run.dir=" + runDir,
                "--set",
                "data.input=" + ROOT.resolve("data-samples/negatives-sample.jsonl"),
                "--set",
                "model.path=" + ROOT.resolve("data-samples/tiny-random-llama"),
                "--set",
                "data.eval=",
                "--set",
                "eval.every=0",
                "--set",
                "run.partitions=2",
                "--set",
                "anchors.maxNewTokens=8",
                "--set",
                "train.maxSteps=12",
                "--set",
                "train.checkpointEvery=4",
                "--set",
                "model.device=cpu"));
    args.addAll(List.of(more));
    return args.toArray(String[]::new);
  }

  private static List<String> options(int maxAttempts) {
    return List.of(
        "--files",
        ROOT.resolve("conf/local.conf").toString(),
        "--conf",
        "spark.yarn.maxAppAttempts=" + maxAttempts);
  }

  @Test
  @Order(1)
  void aRunSucceedsInExactlyOneAttempt() throws Exception {
    unfaulted = tmp.resolve("unfaulted");
    Submission s = yarn.submit("d2o-ok", options(2), Map.of(), run(unfaulted));
    assertEquals(0, s.await(JOB_TIMEOUT), s.output());

    ApplicationReport app = yarn.report("d2o-ok");
    assertEquals(
        FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus(), app.getDiagnostics());
    assertEquals(1, yarn.attempts(app).size(), "attempts of " + app.getApplicationId());
    assertTrue(Files.isRegularFile(unfaulted.resolve("final/model.safetensors")));
    JsonNode summary = JSON.readTree(unfaulted.resolve("summary.json").toFile());
    assertEquals(12, summary.get("steps").asInt(), summary.toString());
    assertNotEquals(
        0.0,
        Weights.maxAbsDiff(
            unfaulted.resolve("final/model.safetensors"),
            ROOT.resolve("data-samples/tiny-random-llama/model.safetensors")),
        "training changed the weights");
  }

  @Test
  @Order(2)
  void badInputFailsWithTheProjectsMessageInTheDiagnostics() throws Exception {
    Path missing = tmp.resolve("no-such-input.jsonl");
    Submission s =
        yarn.submit(
            "d2o-bad-input",
            options(1),
            Map.of(),
            run(tmp.resolve("bad-input"), "--set", "data.input=" + missing));
    assertNotEquals(0, s.await(JOB_TIMEOUT), "spark-submit reports the failure");

    ApplicationReport app = yarn.report("d2o-bad-input");
    String message = "input not found: " + missing + " (data.input)";
    assertEquals(FinalApplicationStatus.FAILED, app.getFinalApplicationStatus());
    assertTrue(
        app.getDiagnostics().contains("dev.d2o.error.InputException: " + message),
        app.getDiagnostics());
    Path stderr = yarn.driverLog(app, 1, "stderr").orElseThrow();
    assertTrue(
        Files.readString(stderr).contains("d2o run: error: " + message), "the one-line message");
  }

  @Test
  @Order(3)
  void aKilledDriverIsRetriedByYarnAndContinuesToTheSameWeights() throws Exception {
    Path run = withAnchors("driver-killed"); // the unfaulted run's: training is what is killed
    Submission s =
        yarn.submit(
            "d2o-driver-killed",
            options(2),
            Map.of("D2O_EXECUTOR_JAVA_OPTS", "-Dd2o.delay.train=250"), // a kill between checkpoints
            run(run));
    ApplicationReport app = awaitApplication("d2o-driver-killed");
    Path stdout = awaitDriverLine(app, 1, "step 7/");
    long pid = yarn.killDriver(app);
    List<String> complete = completeCheckpoints(run);
    System.out.println(
        "killed the ApplicationMaster JVM "
            + pid
            + " (driver) at: "
            + lastStep(stdout)
            + "; complete checkpoints: "
            + complete);
    assertFalse(complete.isEmpty());
    assertFalse(Files.exists(run.resolve("final")), "the first attempt did not finish");

    assertEquals(0, s.await(JOB_TIMEOUT), s.output());
    app = yarn.report("d2o-driver-killed");
    assertEquals(
        FinalApplicationStatus.SUCCEEDED, app.getFinalApplicationStatus(), app.getDiagnostics());
    assertEquals(2, yarn.attempts(app).size());
    String second =
        Files.readString(yarn.driverLog(app, 2, "stdout").orElseThrow())
            + Files.readString(yarn.driverLog(app, 2, "stderr").orElseThrow());
    String newest = complete.get(complete.size() - 1);
    assertTrue(second.contains("taking over the lock of run directory"), second);
    int step = Integer.parseInt(newest.substring(newest.indexOf('-') + 1));
    assertTrue(second.contains("train: resumed from file:"), second);
    assertTrue(
        second.contains(run.resolve("checkpoints/" + newest) + " at step " + step + "\n"), second);
    JsonNode summary = JSON.readTree(run.resolve("summary.json").toFile());
    assertTrue(summary.get("anchors").asText().startsWith("reused"), summary.toString());
    double diff =
        Weights.maxAbsDiff(
            unfaulted.resolve("final/model.safetensors"), run.resolve("final/model.safetensors"));
    System.out.printf("driver killed, second YARN attempt vs unfaulted: max |dw| = %.3g%n", diff);
    assertEquals(0.0, diff, "max |dw|");
  }

  /** A new run directory holding the anchors of the unfaulted run. */
  private static Path withAnchors(String name) throws Exception {
    Path run = tmp.resolve(name);
    org.apache.commons.io.FileUtils.copyDirectory(
        unfaulted.resolve("anchors").toFile(), run.resolve("anchors").toFile());
    return run;
  }

  private static ApplicationReport awaitApplication(String name) throws Exception {
    long end = System.nanoTime() + JOB_TIMEOUT.toNanos();
    while (System.nanoTime() < end) {
      try {
        return yarn.report(name);
      } catch (AssertionError notYet) {
        Thread.sleep(200);
      }
    }
    throw new AssertionError("YARN never saw " + name);
  }

  private static Path awaitDriverLine(ApplicationReport app, int attempt, String prefix)
      throws Exception {
    long end = System.nanoTime() + JOB_TIMEOUT.toNanos();
    while (System.nanoTime() < end) {
      Optional<Path> log = yarn.driverLog(app, attempt, "stdout");
      if (log.isPresent()
          && Files.readString(log.get()).lines().anyMatch(l -> l.startsWith(prefix))) {
        return log.get();
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the driver never printed '" + prefix + "'");
  }

  private static String lastStep(Path stdout) throws Exception {
    return Files.readAllLines(stdout).stream()
        .filter(l -> l.startsWith("step "))
        .reduce((a, b) -> b)
        .orElse("no step");
  }

  private static List<String> completeCheckpoints(Path run) throws Exception {
    try (Stream<Path> dirs = Files.list(run.resolve("checkpoints"))) {
      return dirs.filter(d -> Files.exists(d.resolve("_COMPLETE")))
          .map(d -> d.getFileName().toString())
          .sorted()
          .toList();
    }
  }
}
