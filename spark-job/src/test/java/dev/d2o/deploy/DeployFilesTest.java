package dev.d2o.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.cli.D2oCli;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The deployment files cannot rot: the JSON parses, every d2o command line in them parses with the
 * real command line and names only declared keys, the DAG compiles, and the wrapper passes what the
 * job needs. None of it runs on Airflow, Databricks or EMR here.
 */
class DeployFilesTest {
  private static final Path DEPLOY = Path.of("../deploy");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KEYS =
      Keys.ALL.stream().map(k -> k.name()).collect(Collectors.toSet());

  @Test
  void databricksJobsRunTheCliStagesWithResumeOnTrain() throws IOException {
    for (String file : List.of("job-cpu.json", "job-gpu.json")) {
      JsonNode job = JSON.readTree(DEPLOY.resolve("databricks").resolve(file).toFile());
      List<String> keys = new ArrayList<>();
      for (JsonNode t : job.get("tasks")) {
        keys.add(t.get("task_key").asText());
        JsonNode jar = t.get("spark_jar_task");
        assertEquals(D2oCli.class.getName(), jar.get("main_class_name").asText(), file);
        assertTrue(t.get("libraries").get(0).get("jar").asText().endsWith("-app.jar"), file);
        checkCommand(file, strings(jar.get("parameters")));
      }
      assertEquals(List.of("anchors", "train", "evaluate"), keys, file);
      JsonNode cluster = job.get("job_clusters").get(0).get("new_cluster");
      checkJavaOptions(
          file, cluster.get("spark_conf").get("spark.executor.extraJavaOptions").asText());
      assertTrue(cluster.get("spark_env_vars").has("DJL_CACHE_DIR"), file);
    }
    JsonNode gpu =
        JSON.readTree(DEPLOY.resolve("databricks/job-gpu.json").toFile())
            .get("job_clusters")
            .get(0);
    assertEquals(
        "/Shared/d2o/init-djl-cuda.sh",
        gpu.at("/new_cluster/init_scripts/0/workspace/destination").asText());
    assertTrue(Files.isRegularFile(DEPLOY.resolve("databricks/init-djl-cuda.sh")));
  }

  @Test
  void emrStepsAndSparkDefaults() throws IOException {
    JsonNode steps = JSON.readTree(DEPLOY.resolve("emr/steps.json").toFile());
    List<String> commands = new ArrayList<>();
    for (JsonNode s : steps) {
      List<String> args = strings(s.get("Args"));
      assertEquals("command-runner.jar", s.get("Jar").asText());
      assertEquals("spark-submit", args.get(0));
      assertEquals(D2oCli.class.getName(), args.get(args.indexOf("--class") + 1));
      int jar = indexOfJar(args);
      List<String> d2o = args.subList(jar + 1, args.size());
      commands.add(d2o.get(0));
      checkCommand("steps.json", d2o);
    }
    assertEquals(List.of("anchors", "train", "evaluate"), commands);
    JsonNode conf = JSON.readTree(DEPLOY.resolve("emr/configurations.json").toFile());
    JsonNode defaults = conf.get(0);
    assertEquals("spark-defaults", defaults.get("Classification").asText());
    checkJavaOptions(
        "configurations.json", defaults.at("/Properties/spark.executor.extraJavaOptions").asText());
    checkJavaOptions(
        "configurations.json", defaults.at("/Properties/spark.driver.extraJavaOptions").asText());
    assertEquals(
        defaults.at("/Properties/spark.task.cpus").asText(),
        defaults.at("/Properties/spark.executorEnv.OMP_NUM_THREADS").asText(),
        "libtorch threads = task cores");
  }

  @Test
  void theClusterExampleConfigurationLoads() {
    JobConfig cfg = JobConfig.load(Path.of("../conf/cluster.conf"), List.of());
    assertEquals(11, cfg.get(Keys.ANCHORS_NUM));
    assertEquals("auto", cfg.get(Keys.MODEL_DEVICE));
  }

  @Test
  void theAirflowDagCompiles() throws Exception {
    Assumptions.assumeTrue(
        Files.isExecutable(Path.of("/usr/bin/python3")) || onPath("python3"), "python3");
    Path dag = DEPLOY.resolve("airflow/d2o_dag.py");
    Path out = Files.createTempFile("d2o_dag", ".pyc");
    Process p =
        new ProcessBuilder(
                "python3",
                "-c",
                "import py_compile,sys; py_compile.compile(sys.argv[1], "
                    + "cfile=sys.argv[2], doraise=True)",
                dag.toString(),
                out.toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), new String(p.getInputStream().readAllBytes()));
    Files.delete(out);
    String text = Files.readString(dag);
    assertTrue(text.contains("\"train\", *_SETS, \"--resume\""), "train resumes on retry");
    assertTrue(text.contains("anchors >> train >> evaluate"));
  }

  @Test
  void sparkSubmitWrapperPassesWhatTheJobNeeds() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                "bash",
                DEPLOY.resolve("spark-submit.sh").toString(),
                "--master",
                "spark://h:7077",
                "--",
                "train",
                "--resume")
            .redirectErrorStream(true);
    pb.environment().put("D2O_DRY_RUN", "1");
    pb.environment().put("D2O_JAR", "/x/app.jar");
    pb.environment().put("D2O_TASK_CPUS", "4");
    pb.environment().put("SPARK_SUBMIT", "spark-submit");
    Process p = pb.start();
    String cmd = new String(p.getInputStream().readAllBytes()).replace("\\ ", " ");
    assertEquals(0, p.waitFor(), cmd);
    for (String s :
        List.of(
            "--class dev.d2o.cli.D2oCli",
            "spark.task.cpus=4",
            "spark.executorEnv.OMP_NUM_THREADS=4",
            "spark.executorEnv.DJL_CACHE_DIR=",
            "-Dai.djl.pytorch.num_threads=4",
            "-Dai.djl.offline=true",
            "spark.driver.extraJavaOptions=--add-opens=java.base/java.lang=ALL-UNNAMED",
            "spark.executor.extraJavaOptions=--add-opens=java.base/java.lang=ALL-UNNAMED",
            "--master spark://h:7077 /x/app.jar train --resume")) {
      assertTrue(cmd.contains(s), s + " in " + cmd);
    }
  }

  /** A d2o command line parses with the real CLI, names declared keys only, and train resumes. */
  private static void checkCommand(String file, List<String> args) {
    new CommandLine(D2oCli.class)
        .parseArgs(args.toArray(String[]::new)); // throws on an unknown option
    assertTrue(
        Set.of("anchors", "train", "evaluate", "run").contains(args.get(0)), file + ": " + args);
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--set")) {
        String key = args.get(i + 1).split("=", 2)[0];
        assertTrue(KEYS.contains(key), file + ": unknown key " + key);
      }
    }
    if (args.get(0).equals("train")) {
      assertTrue(args.contains("--resume"), file + ": a retried train must resume");
    }
  }

  private static void checkJavaOptions(String file, String opts) {
    for (String s :
        List.of(
            "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
            "-Dai.djl.offline=true",
            "-DDJL_CACHE_DIR=",
            "-Dai.djl.pytorch.num_threads=")) {
      assertTrue(opts.contains(s), file + ": " + s);
    }
  }

  private static int indexOfJar(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).endsWith("-app.jar")) {
        return i;
      }
    }
    throw new AssertionError("no application jar in " + args);
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static boolean onPath(String exe) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (Files.isExecutable(Path.of(dir, exe))) {
        return true;
      }
    }
    return false;
  }
}
