package dev.d2o.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.cli.D2oCli;
import dev.d2o.cli.SparkMain;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The deployment files as the platforms read them, so they cannot rot: every d2o command line in
 * them parses with the real command line and names only declared keys, the main class is {@link
 * SparkMain}, and each platform's file has the shape its API documents (Databricks Jobs API 2.1/2.2
 * job settings, EMR's AddJobFlowSteps steps and configuration classifications) with the settings
 * the job needs. None of it runs on Databricks or EMR here ({@link AirflowDagTest} for Airflow,
 * {@link LibtorchStagingTest} for the GPU nodes' libtorch).
 */
class DeployFilesTest {
  static final Path DEPLOY = Path.of("../deploy");
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Set<String> KEYS =
      Keys.ALL.stream().map(k -> k.name()).collect(Collectors.toSet());
  private static final String MAIN = SparkMain.class.getName();
  private static final String ARENAS = "MALLOC_ARENA_MAX";
  private static final String MMAP = "MALLOC_MMAP_THRESHOLD_";

  @Test
  void databricksJobsRunSparkMainOnOneSharedJobClusterWithJarsFromAVolume() throws IOException {
    for (String file : List.of("job-cpu.json", "job-gpu.json")) {
      JsonNode job = read("databricks/" + file);
      JsonNode clusters = job.get("job_clusters");
      assertEquals(1, clusters.size(), file + ": the tasks share one job cluster");
      String key = clusters.get(0).get("job_cluster_key").asText();
      List<String> tasks = new ArrayList<>();
      for (JsonNode t : job.get("tasks")) {
        tasks.add(t.get("task_key").asText());
        assertEquals(key, t.get("job_cluster_key").asText(), file); // so no task may stop Spark
        assertEquals(MAIN, t.at("/spark_jar_task/main_class_name").asText(), file);
        checkCommand(file, strings(t.at("/spark_jar_task/parameters")));
        String jar = t.at("/libraries/0/jar").asText();
        assertTrue(jar.startsWith("/Volumes/"), file + ": jar from a Unity Catalog volume: " + jar);
        assertTrue(t.get("max_retries").asInt() >= 1, file + ": retried");
        assertTrue(
            t.get("min_retry_interval_millis").asLong()
                >= 1000L * Keys.RUN_LOCK_TIMEOUT.defaultValue(),
            file + ": a retry comes after a lost run's lease expired");
      }
      assertEquals(List.of("anchors", "train", "evaluate"), tasks, file);

      JsonNode cluster = clusters.get(0).get("new_cluster");
      assertEquals("SINGLE_USER", cluster.get("data_security_mode").asText(), file);
      // 16.4 LTS (Spark 3.5, Scala 2.12): JDK 17 is the default from DBR 16.0 on; JNAME selects
      // JDK 17 on the earlier LTS releases too
      assertTrue(cluster.get("spark_version").asText().startsWith("16.4.x-"), file);
      assertTrue(cluster.get("spark_version").asText().endsWith("-scala2.12"), file);
      assertEquals("zulu17-ca-amd64", cluster.at("/spark_env_vars/JNAME").asText(), file);
      assertTrue(cluster.get("spark_env_vars").has("DJL_CACHE_DIR"), file);
      // Databricks sets spark_env_vars on the driver and every worker
      checkAllocator(file, cluster.get("spark_env_vars"), "");
      JsonNode conf = cluster.get("spark_conf");
      checkJobSettings(file, conf);
      checkJavaOptions(file, conf.get("spark.driver.extraJavaOptions").asText());
      checkJavaOptions(file, conf.get("spark.executor.extraJavaOptions").asText());
      // library installs from the DBFS root are disabled from DBR 16.0: only volumes, also as
      // Hadoop URIs
      Matcher dbfs =
          Pattern.compile("dbfs:/[^\"]*").matcher(Files.readString(path("databricks/" + file)));
      while (dbfs.find()) {
        assertTrue(dbfs.group().startsWith("dbfs:/Volumes/"), file + ": " + dbfs.group());
      }
    }
  }

  @Test
  void theGpuJobUsesTheJarThatMinusPcudaBuildsAndALibtorchStagedFromAVolume() throws IOException {
    JsonNode job = read("databricks/job-gpu.json");
    String pom = Files.readString(Path.of("pom.xml"));
    String version = Files.readString(Path.of("../pom.xml")).split("<version>", 3)[1].split("<")[0];
    assertTrue(pom.contains("<shadedClassifierName>cuda-app</shadedClassifierName>"), "-Pcuda jar");
    for (JsonNode t : job.get("tasks")) {
      assertEquals(
          "/Volumes/main/d2o/jars/d2o-spark-job-" + version + "-cuda-app.jar",
          t.at("/libraries/0/jar").asText());
    }
    JsonNode cluster = job.at("/job_clusters/0/new_cluster");
    String script = cluster.at("/init_scripts/0/volumes/destination").asText();
    assertTrue(
        script.startsWith("/Volumes/") && script.endsWith("/stage-libtorch-cuda.sh"), script);
    assertTrue(Files.isRegularFile(path("gpu/stage-libtorch-cuda.sh")));
    JsonNode env = cluster.get("spark_env_vars");
    assertEquals(
        "/local_disk0/libtorch-2.7.1-cu128/libtorch/lib", env.get("PYTORCH_LIBRARY_PATH").asText());
    assertEquals(pytorchVersion(), env.get("PYTORCH_VERSION").asText());
    assertEquals("cu128", env.get("PYTORCH_FLAVOR").asText());
    assertTrue(env.get("LIBTORCH_ARCHIVE").asText().startsWith("/Volumes/"));
    assertEquals("1", cluster.at("/spark_conf/spark.executor.resource.gpu.amount").asText());
  }

  @Test
  void emrStepsAreInTheAddJobFlowStepsShapeAndRunInYarnClusterMode() throws IOException {
    List<String> commands = new ArrayList<>();
    for (JsonNode s : read("emr/steps.json")) {
      List<String> fields = new ArrayList<>();
      s.fieldNames().forEachRemaining(fields::add);
      assertEquals(List.of("Name", "ActionOnFailure", "HadoopJarStep"), fields, "StepConfig");
      assertEquals("command-runner.jar", s.at("/HadoopJarStep/Jar").asText());
      List<String> args = strings(s.at("/HadoopJarStep/Args"));
      assertEquals("spark-submit", args.get(0));
      assertEquals("cluster", args.get(args.indexOf("--deploy-mode") + 1));
      assertEquals(MAIN, args.get(args.indexOf("--class") + 1));
      assertTrue(args.contains("spark.yarn.maxAppAttempts=2"), "YARN retries a lost driver");
      String shipped = args.get(args.indexOf("--files") + 1);
      List<String> d2o = args.subList(indexOfJar(args) + 1, args.size());
      commands.add(d2o.get(0));
      checkCommand("steps.json", d2o);
      // the driver runs in a YARN container: the configuration is the file --files shipped there
      assertEquals(
          shipped.substring(shipped.lastIndexOf('/') + 1), d2o.get(d2o.indexOf("--conf") + 1));
    }
    assertEquals(List.of("anchors", "train", "evaluate"), commands);
  }

  @Test
  void emrConfigurationsCarryTheJobsSettingsAndTheGpuClusterSchedulesGpus() throws IOException {
    for (String file : List.of("emr/configurations.json", "emr/configurations-gpu.json")) {
      JsonNode defaults = classification(read(file), "spark-defaults").get("Properties");
      checkJobSettings(file, defaults);
      assertTrue(defaults.has("spark.executor.memoryOverhead"), file + ": libtorch is off-heap");
      checkJavaOptions(file, defaults.get("spark.executor.extraJavaOptions").asText());
      checkJavaOptions(file, defaults.get("spark.driver.extraJavaOptions").asText());
      assertEquals(
          defaults.get("spark.task.cpus").asText(),
          defaults.get("spark.executorEnv.OMP_NUM_THREADS").asText(),
          file + ": libtorch threads = task cores");
      checkAllocator(file, defaults, "spark.executorEnv.");
      checkAllocator(file, defaults, "spark.yarn.appMasterEnv."); // the driver in cluster mode
    }
    JsonNode gpu = read("emr/configurations-gpu.json");
    assertEquals(
        "yarn.io/gpu",
        classification(gpu, "yarn-site")
            .at("/Properties/yarn.nodemanager.resource-plugins")
            .asText());
    assertEquals(
        "org.apache.hadoop.yarn.util.resource.DominantResourceCalculator",
        classification(gpu, "capacity-scheduler")
            .at("/Properties/yarn.scheduler.capacity.resource-calculator")
            .asText());
    JsonNode p = classification(gpu, "spark-defaults").get("Properties");
    assertEquals("1", p.get("spark.executor.resource.gpu.amount").asText());
    assertTrue(p.get("spark.executor.resource.gpu.discoveryScript").asText().endsWith(".sh"));
    String lib = "/mnt/libtorch-2.7.1-cu128/libtorch/lib";
    for (String prefix : List.of("spark.executorEnv.", "spark.yarn.appMasterEnv.")) {
      assertEquals(lib, p.get(prefix + "PYTORCH_LIBRARY_PATH").asText(), prefix);
      assertEquals(pytorchVersion(), p.get(prefix + "PYTORCH_VERSION").asText(), prefix);
      assertEquals("cu128", p.get(prefix + "PYTORCH_FLAVOR").asText(), prefix);
    }
    String create = Files.readString(path("emr/create-cluster.sh"));
    assertTrue(create.contains("\"/mnt/libtorch-2.7.1-cu128\"]"), "the bootstrap stages there");
    assertTrue(create.contains("configurations-gpu.json") && create.contains("-cuda-app.jar"));
  }

  @Test
  void theClusterExampleConfigurationLoads() {
    JobConfig cfg = JobConfig.load(Path.of("../conf/cluster.conf"), List.of());
    assertEquals(11, cfg.get(Keys.ANCHORS_NUM));
    assertEquals("auto", cfg.get(Keys.MODEL_DEVICE));
  }

  @Test
  void sparkSubmitWrapperPassesWhatTheJobNeeds() throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder(
                "bash",
                path("spark-submit.sh").toString(),
                "--master",
                "yarn",
                "--deploy-mode",
                "cluster",
                "--",
                "train")
            .redirectErrorStream(true);
    pb.environment().put("D2O_DRY_RUN", "1");
    pb.environment().put("D2O_JAR", "/x/app.jar");
    pb.environment().put("D2O_TASK_CPUS", "4");
    pb.environment().put("SPARK_SUBMIT", "spark-submit");
    pb.environment().remove(ARENAS);
    pb.environment().remove(MMAP);
    String cmd = dryRun(pb);
    for (String s :
        List.of(
            "--class " + MAIN,
            "spark.task.cpus=4",
            "spark.executorEnv.OMP_NUM_THREADS=4",
            "spark.executorEnv.DJL_CACHE_DIR=",
            "-Dai.djl.pytorch.num_threads=4",
            "-Dai.djl.offline=true",
            "spark.driver.extraJavaOptions=--add-opens=java.base/java.lang=ALL-UNNAMED",
            "spark.executor.extraJavaOptions=--add-opens=java.base/java.lang=ALL-UNNAMED",
            "spark.yarn.am.extraJavaOptions=--add-opens=java.base/java.lang=ALL-UNNAMED",
            "spark.driver.maxResultSize=4g",
            "spark.broadcast.compress=false",
            "spark.task.maxDirectResultSize=2000m",
            "spark.executor.memoryOverheadFactor=0.4",
            "spark.dynamicAllocation.enabled=false",
            "--master yarn --deploy-mode cluster /x/app.jar train")) {
      assertTrue(cmd.contains(s), s + " in " + cmd);
    }
    List<String> prefixes =
        List.of("spark.executorEnv.", "spark.yarn.appMasterEnv.", "spark.kubernetes.driverEnv.");
    for (String prefix : prefixes) {
      assertTrue(cmd.contains(prefix + ARENAS + "=2 "), prefix + " in " + cmd);
    }
    assertFalse(cmd.contains(MMAP), "the fixed mmap threshold is the user's choice: " + cmd);
    // the values the user set are the ones the cluster gets
    pb.environment().put(ARENAS, "4");
    pb.environment().put(MMAP, "131072");
    String set = dryRun(pb);
    for (String prefix : prefixes) {
      assertTrue(set.contains(prefix + ARENAS + "=4 "), prefix + " in " + set);
      assertTrue(set.contains(prefix + MMAP + "=131072 "), prefix + " in " + set);
    }
  }

  @Test
  void binD2oSetsTheSameArenaDefaultAndKeepsTheUsersValue() throws IOException {
    String script = Files.readString(Path.of("../bin/d2o"));
    assertTrue(script.contains("export " + ARENAS + "=\"${" + ARENAS + ":-2}\""), script);
  }

  private static String dryRun(ProcessBuilder pb) throws Exception {
    Process p = pb.start();
    String cmd = new String(p.getInputStream().readAllBytes()).replace("\\ ", " ");
    assertEquals(0, p.waitFor(), cmd);
    return cmd;
  }

  /**
   * glibc's arena cap that keeps libtorch's freed tensors from staying resident in up to 8 arenas
   * per core (docs/scaling.md), under {@code prefix} in {@code env}: the value bin/d2o sets.
   */
  static void checkAllocator(String file, JsonNode env, String prefix) {
    assertEquals("2", env.path(prefix + ARENAS).asText(), file + ": " + prefix + ARENAS);
  }

  /** Settings every platform's file gives the job (deploy/spark-submit.sh sets the same). */
  static void checkJobSettings(String file, JsonNode conf) {
    assertEquals("false", conf.get("spark.dynamicAllocation.enabled").asText(), file);
    assertTrue(conf.has("spark.driver.maxResultSize"), file + ": gradient sums exceed 1g");
    assertEquals(
        conf.get("spark.task.cpus").asText(), conf.get("spark.executor.cores").asText(), file);
  }

  /** A d2o command line parses with the real CLI and names declared keys only. */
  static void checkCommand(String file, List<String> args) {
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
  }

  static void checkJavaOptions(String file, String opts) {
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

  static String pytorchVersion() throws IOException {
    return Files.readString(Path.of("../pom.xml"))
        .split("<pytorch.native.version>", 2)[1]
        .split("<", 2)[0];
  }

  private static JsonNode classification(JsonNode configurations, String name) {
    for (JsonNode c : configurations) {
      if (c.get("Classification").asText().equals(name)) {
        return c;
      }
    }
    throw new AssertionError("no classification " + name);
  }

  private static int indexOfJar(List<String> args) {
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).endsWith("-app.jar")) {
        return i;
      }
    }
    throw new AssertionError("no application jar in " + args);
  }

  static Path path(String name) {
    return DEPLOY.resolve(name);
  }

  static JsonNode read(String name) throws IOException {
    return JSON.readTree(path(name).toFile());
  }

  static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }
}
