package dev.d2o.deploy;

import static dev.d2o.deploy.DeployFilesTest.checkCommand;
import static dev.d2o.deploy.DeployFilesTest.checkJavaOptions;
import static dev.d2o.deploy.DeployFilesTest.checkJobSettings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.cli.SparkMain;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The Airflow DAGs of {@code deploy/airflow}, imported by Python against a stub of the part of
 * Airflow's API they use ({@code src/test/resources/airflow-stub}: each operator accepts only the
 * keyword arguments its real class documents and records them). apache-airflow itself cannot be
 * installed where the project is built, so Airflow's own DagBag is not run; this checks what the
 * DAG files pass: the tasks and their order, the deploy mode, the shipped configuration file, the
 * environment and the Spark settings, and that each d2o command line parses.
 */
class AirflowDagTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path STUB = Path.of("src/test/resources/airflow-stub").toAbsolutePath();
  private static JsonNode dags;
  private static JsonNode emr;

  @BeforeAll
  static void loadDags() throws Exception {
    Assumptions.assumeTrue(onPath("python3"), "python3");
    dags = load("airflow/d2o_dag.py");
    emr = load("airflow/d2o_emr_dag.py");
  }

  private static JsonNode load(String dag) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                "python3",
                STUB.resolve("load_dag.py").toString(),
                DeployFilesTest.path(dag).toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("PYTHONPATH", STUB.toString());
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), dag + " did not load: " + out);
    return JSON.readTree(out);
  }

  @Test
  void bothSparkSubmitDagsRunAnchorsTrainEvaluateWithSparkMain() {
    for (String id : List.of("d2o_alignment", "d2o_alignment_yarn_cluster")) {
      JsonNode dag = dags.get(id);
      assertEquals(
          "[[\"anchors\",\"train\"],[\"train\",\"evaluate\"]]", dag.get("edges").toString(), id);
      assertTrue(dag.get("default_args").get("retries").asInt() >= 1, id + " retries");
      for (String task : List.of("anchors", "train", "evaluate")) {
        JsonNode k = dag.at("/tasks/" + task + "/kwargs");
        assertEquals(SparkMain.class.getName(), k.get("java_class").asText(), id);
        checkCommand(id, DeployFilesTest.strings(k.get("application_args")));
        checkJobSettings(id, k.get("conf"));
        assertTrue(k.get("conf").has("spark.executor.memoryOverhead"), id);
        checkJavaOptions(id, k.at("/conf/spark.executor.extraJavaOptions").asText());
        checkJavaOptions(id, k.at("/conf/spark.driver.extraJavaOptions").asText());
        assertEquals("/tmp/d2o-djl-cache", k.at("/env_vars/DJL_CACHE_DIR").asText(), id);
      }
    }
  }

  @Test
  void theClientModeDagReadsTheConfigurationOnTheWorker() {
    JsonNode k = dags.at("/d2o_alignment/tasks/train/kwargs");
    assertEquals("client", k.get("deploy_mode").asText());
    assertTrue(k.get("files").isNull());
    List<String> args = DeployFilesTest.strings(k.get("application_args"));
    assertEquals("{{ params.conf_file }}", args.get(args.indexOf("--conf") + 1));
  }

  @Test
  void theClusterModeDagShipsTheConfigurationAndLetsYarnRetryTheDriver() {
    JsonNode k = dags.at("/d2o_alignment_yarn_cluster/tasks/train/kwargs");
    assertEquals("cluster", k.get("deploy_mode").asText());
    assertEquals("{{ params.conf_file }}", k.get("files").asText());
    List<String> args = DeployFilesTest.strings(k.get("application_args"));
    // the shipped file is in the driver container's working directory, under its base name
    assertEquals("{{ params.conf_file.split('/')[-1] }}", args.get(args.indexOf("--conf") + 1));
    assertEquals("2", k.at("/conf/spark.yarn.maxAppAttempts").asText());
  }

  @Test
  void theEmrDagAddsTheStepsOfStepsJsonAndWatchesEach() throws Exception {
    JsonNode dag = emr.get("d2o_alignment_emr");
    String steps =
        Files.readString(DeployFilesTest.path("emr/steps.json"))
            .replace("s3://my-bucket", "{{ params.bucket }}");
    JsonNode add = dag.at("/tasks/add_steps/kwargs");
    assertEquals(JSON.readTree(steps), add.get("steps"));
    assertEquals("{{ params.cluster_id }}", add.get("job_flow_id").asText());
    assertEquals(
        "[[\"add_steps\",\"watch_anchors\"],[\"watch_anchors\",\"watch_train\"],"
            + "[\"watch_train\",\"watch_evaluate\"]]",
        dag.get("edges").toString());
    assertEquals(
        "{{ task_instance.xcom_pull(task_ids='add_steps')[1] }}",
        dag.at("/tasks/watch_train/kwargs/step_id").asText());
  }

  @Test
  void theBoto3ExampleAddsTheStepsOfStepsJsonWithTheBucketReplaced() throws Exception {
    // boto3 is imported only when the script talks to AWS: load_steps runs without it
    Path script = DeployFilesTest.path("emr/add_steps.py");
    ProcessBuilder pb =
        new ProcessBuilder(
                "python3",
                "-c",
                "import json,runpy,sys; m = runpy.run_path(sys.argv[1]); "
                    + "print(json.dumps(m['load_steps']('s3://other-bucket/')))",
                script.toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
    pb.environment().put("PYTHONDONTWRITEBYTECODE", "1");
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes());
    assertTrue(p.waitFor(60, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue(), out);
    String expected =
        Files.readString(DeployFilesTest.path("emr/steps.json"))
            .replace("s3://my-bucket", "s3://other-bucket");
    assertEquals(JSON.readTree(expected), JSON.readTree(out));
    assertTrue(out.contains("s3://other-bucket/d2o/jars/"), out);
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
