package dev.d2o.spark.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.yarn.api.records.ApplicationAttemptReport;
import org.apache.hadoop.yarn.api.records.ApplicationReport;
import org.apache.hadoop.yarn.client.api.YarnClient;
import org.apache.hadoop.yarn.conf.YarnConfiguration;
import org.apache.hadoop.yarn.server.MiniYARNCluster;

/**
 * A real YARN cluster in this JVM (Hadoop's {@code MiniYARNCluster}: a ResourceManager and one
 * NodeManager whose containers are separate JVMs on this machine), and applications submitted to it
 * in cluster mode through {@code deploy/spark-submit.sh}, with the Spark distribution that {@code
 * deploy/local-cluster} assembles. The submitter finds the ResourceManager through a {@code
 * HADOOP_CONF_DIR} holding the cluster's {@code yarn-site.xml}, as on a real cluster. Containers
 * get Spark's jars and the application jar as {@code local:} paths (every node is this machine), so
 * nothing large is uploaded. Closing it stops YARN and kills what it started, and nothing else.
 */
public final class YarnCluster implements AutoCloseable {
  private final Path dir;
  private final Path confDir;
  private final Path sparkHome = Path.of(required("d2o.sparkHome")).toAbsolutePath().normalize();
  private final Path appJar = Path.of(required("d2o.appJar")).toAbsolutePath().normalize();
  private final Path repoRoot = sparkHome.resolve("../../../..").normalize();
  private final List<Process> started = new ArrayList<>();
  private MiniYARNCluster yarn;
  private YarnClient client;

  /** A cluster whose configuration, logs and staging folder live under {@code dir}. */
  public YarnCluster(Path dir) throws IOException {
    this.dir = dir;
    this.confDir = Files.createDirectories(dir.resolve("hadoop-conf"));
    if (!Files.isDirectory(sparkHome.resolve("jars")) || !Files.isRegularFile(appJar)) {
      throw new IllegalStateException(
          "no " + sparkHome + "/jars or " + appJar + ": run through mvn verify");
    }
  }

  private static String required(String property) {
    String v = System.getProperty(property);
    if (v == null) {
      throw new IllegalStateException(
          "system property " + property + " is not set (the failsafe configuration sets it)");
    }
    return v;
  }

  /**
   * Starts the ResourceManager and one NodeManager offering {@code memoryMb} and {@code vcores} to
   * containers; returns once the NodeManager registered.
   */
  public YarnCluster start(int memoryMb, int vcores) throws Exception {
    YarnConfiguration c = new YarnConfiguration();
    c.set("yarn.nodemanager.disk-health-checker.max-disk-utilization-per-disk-percentage", "100");
    // hadoop-client-minicluster has no capacity-scheduler.xml: one queue, as Spark's own YARN tests
    c.set("yarn.scheduler.capacity.root.queues", "default");
    c.setInt("yarn.scheduler.capacity.root.default.capacity", 100);
    c.setInt("yarn.scheduler.capacity.root.default.maximum-capacity", 100);
    c.setFloat("yarn.scheduler.capacity.root.default.user-limit-factor", 1);
    c.set("yarn.scheduler.capacity.root.default.state", "RUNNING");
    c.set("yarn.scheduler.capacity.root.default.acl_submit_applications", "*");
    c.setInt("yarn.scheduler.capacity.node-locality-delay", -1);
    // the AM may take the whole (small) node
    c.setFloat("yarn.scheduler.capacity.maximum-am-resource-percent", 1.0f);
    c.setInt(YarnConfiguration.NM_PMEM_MB, memoryMb);
    c.setInt(YarnConfiguration.NM_VCORES, vcores);
    c.setInt(YarnConfiguration.RM_SCHEDULER_MINIMUM_ALLOCATION_MB, 128);
    c.setInt(YarnConfiguration.RM_SCHEDULER_MAXIMUM_ALLOCATION_MB, memoryMb);
    // libtorch's memory is off-heap: no container is killed for resident memory beyond its heap
    c.setBoolean(YarnConfiguration.NM_PMEM_CHECK_ENABLED, false);
    c.setBoolean(YarnConfiguration.NM_VMEM_CHECK_ENABLED, false);
    c.setInt(YarnConfiguration.RM_AM_MAX_ATTEMPTS, 2);
    c.set(YarnConfiguration.RM_HOSTNAME, "127.0.0.1");
    yarn = new MiniYARNCluster("d2o-yarn-it", 1, 1, 1);
    yarn.init(c);
    yarn.start();
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    // start() may return before the RM has put its bound port into the configuration
    while (yarn.getConfig().get(YarnConfiguration.RM_ADDRESS).endsWith(":0")) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("the ResourceManager did not publish its address");
      }
      Thread.sleep(100);
    }
    try (OutputStream out = Files.newOutputStream(confDir.resolve("yarn-site.xml"))) {
      yarn.getConfig().writeXml(out);
    }
    client = YarnClient.createYarnClient();
    client.init(yarn.getConfig());
    client.start();
    while (client.getNodeReports().isEmpty()) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("no NodeManager registered");
      }
      Thread.sleep(100);
    }
    return this;
  }

  /**
   * Submits {@code d2oArgs} in YARN cluster mode as application {@code name}, with {@code
   * sparkOptions} added ({@code --conf k=v}, {@code --files f} ...) and {@code extraEnv} in the
   * submitter's environment ({@code D2O_EXECUTOR_JAVA_OPTS} ...); the submitter waits for the
   * application to end.
   */
  public Submission submit(
      String name, List<String> sparkOptions, Map<String, String> extraEnv, String... d2oArgs)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                repoRoot.resolve("deploy/spark-submit.sh").toString(),
                "--master",
                "yarn",
                "--deploy-mode",
                "cluster",
                "--name",
                name,
                "--driver-memory",
                "640m",
                "--executor-memory",
                "512m",
                "--num-executors",
                "2",
                "--conf",
                "spark.yarn.jars=local:" + sparkHome.resolve("jars") + "/*",
                "--conf",
                "spark.yarn.stagingDir=" + dir.resolve("staging").toUri(),
                "--conf",
                "spark.yarn.appMasterEnv.JAVA_HOME=" + System.getProperty("java.home"),
                "--conf",
                "spark.executorEnv.JAVA_HOME=" + System.getProperty("java.home"),
                "--conf",
                "spark.ui.enabled=false"));
    cmd.addAll(sparkOptions);
    cmd.add("--");
    cmd.addAll(List.of(d2oArgs));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("HADOOP_CONF_DIR", confDir.toString());
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_SCALA_VERSION", System.getProperty("d2o.scalaBinaryVersion", "2.12"));
    env.put("SPARK_CONF_DIR", Files.createDirectories(dir.resolve("spark-conf")).toString());
    env.put("SPARK_SUBMIT", repoRoot.resolve("deploy/local-cluster/spark-submit").toString());
    env.put("D2O_JAR", "local:" + appJar);
    env.put(
        "DJL_CACHE_DIR",
        System.getProperty("d2o.djlCacheDir", System.getProperty("user.home") + "/.djl.ai"));
    env.putAll(extraEnv);
    Process p = pb.start();
    started.add(p);
    return new Submission(p, log);
  }

  /** The report of the application named {@code name} (the last one submitted under it). */
  public ApplicationReport report(String name) throws Exception {
    return client.getApplications().stream()
        .filter(r -> r.getName().equals(name))
        .max((a, b) -> a.getApplicationId().compareTo(b.getApplicationId()))
        .orElseThrow(() -> new AssertionError("YARN knows no application " + name));
  }

  /** The attempts YARN made of {@code app}. */
  public List<ApplicationAttemptReport> attempts(ApplicationReport app) throws Exception {
    return client.getApplicationAttempts(app.getApplicationId());
  }

  /**
   * The {@code file} (stdout, stderr) of the first container of attempt {@code attempt} of {@code
   * app}, which runs the ApplicationMaster and the driver, once it exists.
   */
  public Optional<Path> driverLog(ApplicationReport app, int attempt, String file)
      throws IOException {
    String container =
        String.format(
            "container_%d_%04d_%02d_000001",
            app.getApplicationId().getClusterTimestamp(), app.getApplicationId().getId(), attempt);
    for (String dir :
        yarn.getNodeManager(0).getConfig().getTrimmedStrings(YarnConfiguration.NM_LOG_DIRS)) {
      // <log dir>/<application id>/<container id>/<file>
      Path log =
          Path.of(dir)
              .toAbsolutePath()
              .resolve(app.getApplicationId().toString())
              .resolve(container)
              .resolve(file);
      if (Files.isRegularFile(log)) {
        return Optional.of(log);
      }
    }
    return Optional.empty();
  }

  /**
   * SIGKILLs the JVM of the ApplicationMaster (with the driver) of {@code app}: a container of this
   * JVM's NodeManager, so a process this test started.
   */
  public long killDriver(ApplicationReport app) {
    String id = app.getApplicationId().toString();
    ProcessHandle am =
        ProcessHandle.current()
            .descendants()
            .filter(
                h -> {
                  // the JVM itself, not the container's launch shell whose command line names it:
                  // killing only the shell lets the NodeManager stop the JVM gently (it would
                  // release its lock and report a final status)
                  String line = h.info().commandLine().orElse("");
                  return h.info().command().orElse("").endsWith("/java")
                      && line.contains("org.apache.spark.deploy.yarn.ApplicationMaster")
                      && line.contains(id);
                })
            .findFirst()
            .orElseThrow(() -> new AssertionError("no ApplicationMaster JVM of " + id));
    am.destroyForcibly();
    return am.pid();
  }

  /** Stops YARN and kills every process it or a submission started; only those. */
  @Override
  public void close() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    if (client != null) {
      client.stop();
    }
    if (yarn != null) {
      yarn.stop(); // the NodeManager kills its containers
    }
    // containers the NodeManager started and did not reap (children of this JVM)
    ProcessHandle.current()
        .descendants()
        .filter(h -> h.info().commandLine().orElse("").contains("d2o-yarn-it"))
        .forEach(ProcessHandle::destroyForcibly);
  }

  /** The folder of logs and configuration. */
  public Path dir() {
    return dir;
  }
}
