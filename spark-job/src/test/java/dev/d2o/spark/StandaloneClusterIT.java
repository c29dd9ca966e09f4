package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.cli.D2oCli;
import dev.d2o.spark.testing.StandaloneCluster;
import dev.d2o.spark.testing.Weights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar on a real standalone cluster: a Master and two one-core Workers in their own
 * JVMs on 127.0.0.1, the job submitted through {@code deploy/spark-submit.sh}. Shows that (a)
 * anchors → train → evaluate on the cluster give the weights of a local-mode run, (b) an executor
 * SIGKILLed during training is replaced, its tasks retried, the weights unchanged and the loss
 * recorded in {@code summary.json}, and (c) a driver killed during training resumes from its last
 * checkpoint with {@code --resume} to the same weights.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StandaloneClusterIT {
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(4);
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Slows each gradient task down so that a kill lands in the middle of a step
   * (FaultInjection.maybeDelay).
   */
  private static final String SLOW = "-Dd2o.delay.train=250";

  @TempDir static Path tmp;
  private static StandaloneCluster cluster;
  private static Path localFinal;
  private static Path clusterRun;

  @BeforeAll
  static void startCluster() throws Exception {
    // logs (master, workers, executors, each driver) stay in target/ for a look after a failure
    Path logs = Path.of("target/standalone-cluster-it").toAbsolutePath();
    org.apache.commons.io.FileUtils.deleteDirectory(logs.toFile());
    cluster = new StandaloneCluster(Files.createDirectories(logs)).start(2, 1, "1536m");
  }

  @AfterAll
  static void stopCluster() {
    if (cluster != null) {
      cluster.close();
    }
  }

  /**
   * The test configuration: the shipped local.conf, shortened, with absolute paths (the driver runs
   * elsewhere).
   */
  private static List<String> conf(Path runDir, String... more) {
    Path root = Path.of("..").toAbsolutePath().normalize();
    List<String> args =
        new ArrayList<>(
            List.of(
                "--conf",
                root.resolve("conf/local.conf").toString(),
                "--set",
                "run.dir=" + runDir,
                "--set",
                "data.input=" + root.resolve("data-samples/negatives-sample.jsonl"),
                "--set",
                "model.path=" + root.resolve("data-samples/tiny-random-llama"),
                "--set",
                "data.eval=",
                "--set",
                "eval.every=0",
                "--set",
                "eval.costModel=" + root.resolve("data-samples/cost-model"),
                "--set",
                "run.partitions=2",
                "--set",
                "anchors.maxNewTokens=8",
                "--set",
                "train.maxSteps=12",
                "--set",
                "train.checkpointEvery=4",
                "--set",
                "model.device=cpu",
                "--set",
                "train.gradientTasks=2")); // G fixed: local[2] and the 2-executor cluster sum alike
    args.addAll(List.of(more));
    return args;
  }

  private static String[] cmd(String command, Path runDir, String... more) {
    List<String> args = new ArrayList<>(List.of(command));
    args.addAll(conf(runDir, more));
    return args.toArray(String[]::new);
  }

  @Test
  @Order(1)
  void anchorsTrainEvaluateOnTheClusterEqualLocalMode() throws Exception {
    Path local = tmp.resolve("local");
    List<String> localArgs = new ArrayList<>(List.of(cmd("run", local)));
    localArgs.addAll(List.of("--set", "run.master=local[2]"));
    assertEquals(0, D2oCli.run(localArgs.toArray(String[]::new)));
    localFinal = local.resolve("final/model.safetensors");

    clusterRun = tmp.resolve("cluster-run");
    Path work = Files.createDirectories(tmp.resolve("driver"));
    var anchors = cluster.submit(work, "a-anchors", "", cmd("anchors", clusterRun));
    assertEquals(0, anchors.await(JOB_TIMEOUT), anchors.output());
    var train = cluster.submit(work, "a-train", "", cmd("train", clusterRun, "--resume"));
    assertEquals(0, train.await(JOB_TIMEOUT), train.output());
    Path eval = tmp.resolve("cluster-eval");
    var evaluate =
        cluster.submit(
            work,
            "a-evaluate",
            "",
            cmd(
                "evaluate",
                clusterRun,
                "--set",
                "data.eval="
                    + Path.of("../data-samples/eval-sample.jsonl").toAbsolutePath().normalize(),
                "--set",
                "eval.maxPrompts=4",
                "--set",
                "eval.maxNewTokens=8",
                "--policy",
                clusterRun.resolve("final").toString(),
                "--output",
                eval.toString()));
    assertEquals(0, evaluate.await(JOB_TIMEOUT), evaluate.output());

    assertTrue(Files.exists(eval.resolve("report.json")), "evaluate wrote its report");
    JsonNode summary = JSON.readTree(clusterRun.resolve("summary.json").toFile());
    assertEquals(12, summary.get("steps").asInt(), summary.toString());
    assertEquals(0, summary.get("cluster").get("executors_lost").asInt(), summary.toString());
    double diff = Weights.maxAbsDiff(localFinal, clusterRun.resolve("final/model.safetensors"));
    System.out.printf("cluster vs local[2]: max |dw| = %.3g%n", diff);
    assertTrue(diff <= 1e-4, "max |dw| = " + diff);
    assertNotEquals(
        0.0,
        Weights.maxAbsDiff(
            localFinal, Path.of("../data-samples/tiny-random-llama/model.safetensors")),
        "training changed the weights");
  }

  @Test
  @Order(2)
  void anExecutorKilledDuringTrainingIsReplacedAndTheWeightsAreUnchanged() throws Exception {
    Path run = withAnchors("executor-kill");
    var train =
        cluster.submit(tmp.resolve("driver"), "b-train", SLOW, cmd("train", run, "--resume"));
    train.awaitLine(l -> l.startsWith("step 3/"), JOB_TIMEOUT);
    long pid = cluster.killExecutorInTask(0, Duration.ofSeconds(60));
    System.out.println("killed executor JVM " + pid + " of worker 0 with SIGKILL");
    assertEquals(0, train.await(JOB_TIMEOUT), train.output());

    JsonNode c = JSON.readTree(run.resolve("summary.json").toFile()).get("cluster");
    System.out.println("summary.json cluster: " + c);
    assertTrue(c.get("executors_lost").asInt() >= 1, c.toString());
    assertTrue(c.get("failed_task_attempts").asInt() >= 1, c.toString());
    double diff =
        Weights.maxAbsDiff(
            clusterRun.resolve("final/model.safetensors"), run.resolve("final/model.safetensors"));
    System.out.printf("executor killed vs unfaulted: max |dw| = %.3g%n", diff);
    assertTrue(diff <= 1e-4, "max |dw| = " + diff);
  }

  @Test
  @Order(3)
  void aDriverKilledDuringTrainingResumesToTheSameWeights() throws Exception {
    Path run = withAnchors("driver-kill");
    var first =
        cluster.submit(tmp.resolve("driver"), "c-train", SLOW, cmd("train", run, "--resume"));
    first.awaitLine(
        l -> l.startsWith("step 7/"), JOB_TIMEOUT); // checkpoint-00000004 is complete by then
    assertTrue(
        first.process().info().command().orElse("").endsWith("java"),
        "the driver JVM itself is killed");
    first.process().descendants().forEach(ProcessHandle::destroyForcibly);
    first.process().destroyForcibly(); // SIGKILL: no shutdown hooks, the lock file stays behind
    first.process().waitFor();
    assertTrue(Files.exists(run.resolve("checkpoints/checkpoint-00000004/_COMPLETE")));
    assertTrue(!Files.exists(run.resolve("final")), "the first driver did not finish");

    var second =
        cluster.submit(tmp.resolve("driver"), "c-resume", "", cmd("train", run, "--resume"));
    assertEquals(0, second.await(JOB_TIMEOUT), second.output());
    assertTrue(second.output().contains("step 12/12"), second.output());
    double diff =
        Weights.maxAbsDiff(
            clusterRun.resolve("final/model.safetensors"), run.resolve("final/model.safetensors"));
    System.out.printf("driver killed + --resume vs uninterrupted: max |dw| = %.3g%n", diff);
    assertTrue(diff <= 1e-4, "max |dw| = " + diff);
  }

  /**
   * A new run directory holding the anchors of the unfaulted cluster run (the train stage starts
   * from them).
   */
  private static Path withAnchors(String name) throws IOException {
    Path run = tmp.resolve(name);
    Path src = clusterRun.resolve("anchors");
    try (Stream<Path> files = Files.walk(src)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path dst = run.resolve("anchors").resolve(src.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(dst);
        } else {
          Files.copy(f, dst);
        }
      }
    }
    return run;
  }
}
