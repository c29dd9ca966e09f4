package dev.d2o.spark.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A real Spark standalone cluster on 127.0.0.1: a Master and Workers in their own JVMs, started
 * from the Spark distribution that {@code deploy/local-cluster} assembles from Maven Central, and
 * applications submitted through {@code deploy/spark-submit.sh} (which runs Spark's own launcher,
 * as {@code bin/spark-submit} does). Closing it kills every process it started and their children
 * (executors), and nothing else.
 */
public final class StandaloneCluster implements AutoCloseable {
  private final Path sparkHome;
  private final Path appJar;
  private final Path repoRoot;
  private final Path dir;
  private final String scalaVersion;
  private final List<Process> started = new ArrayList<>();
  private final List<Process> workers = new ArrayList<>();
  private String masterUrl;

  /**
   * A cluster whose logs and work folders live under {@code dir}; nothing runs until {@link
   * #start}.
   */
  public StandaloneCluster(Path dir) {
    this.sparkHome = Path.of(required("d2o.sparkHome")).toAbsolutePath().normalize();
    this.appJar = Path.of(required("d2o.appJar")).toAbsolutePath().normalize();
    this.repoRoot = sparkHome.resolve("../../../..").normalize();
    this.scalaVersion = System.getProperty("d2o.scalaBinaryVersion", "2.12");
    this.dir = dir;
    try {
      Files.createDirectories(dir.resolve("conf"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
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
   * Starts the Master and {@code n} Workers of {@code cores} cores each; returns once all Workers
   * registered.
   */
  public StandaloneCluster start(int n, int cores, String memory)
      throws IOException, InterruptedException {
    int port = freePort();
    masterUrl = "spark://127.0.0.1:" + port;
    Process master =
        daemon(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            String.valueOf(port),
            "--webui-port",
            String.valueOf(freePort()));
    awaitLog(
        master, dir.resolve("master.log"), "I have been elected leader", Duration.ofSeconds(60));
    for (int i = 0; i < n; i++) {
      Path log = dir.resolve("worker-" + i + ".log");
      Process w =
          daemon(
              "worker-" + i,
              "org.apache.spark.deploy.worker.Worker",
              "--host",
              "127.0.0.1",
              "--cores",
              String.valueOf(cores),
              "--memory",
              memory,
              "--webui-port",
              String.valueOf(freePort()),
              "--work-dir",
              Files.createDirectories(dir.resolve("work-" + i)).toString(),
              masterUrl);
      workers.add(w);
      awaitLog(w, log, "Successfully registered with master", Duration.ofSeconds(60));
    }
    return this;
  }

  private Process daemon(String name, String mainClass, String... args) throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(javaBin(), "-Xmx256m", "-cp", sparkHome.resolve("jars") + "/*", mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve(name + ".log").toFile());
    environment(pb.environment());
    Process p = pb.start();
    started.add(p);
    return p;
  }

  private void environment(Map<String, String> env) {
    env.put("SPARK_HOME", sparkHome.toString());
    env.put("SPARK_LOCAL_IP", "127.0.0.1"); // else Spark picks a non-loopback address
    env.put(
        "SPARK_SCALA_VERSION",
        scalaVersion); // else executors fail with "Cannot find any build directories"
    env.put(
        "SPARK_CONF_DIR",
        dir.resolve("conf").toString()); // an empty folder: no stray spark-defaults.conf
    env.put(
        "DJL_CACHE_DIR",
        System.getProperty("d2o.djlCacheDir", System.getProperty("user.home") + "/.djl.ai"));
  }

  /**
   * Submits {@code d2oArgs} (a d2o command line) with {@code deploy/spark-submit.sh} to this
   * cluster, the driver in {@code workDir}; {@code executorJavaOpts} go to the executors (e.g. a
   * test delay).
   */
  public Submission submit(Path workDir, String name, String executorJavaOpts, String... d2oArgs)
      throws IOException {
    return submit(
        workDir, name, List.of(), Map.of("D2O_EXECUTOR_JAVA_OPTS", executorJavaOpts), d2oArgs);
  }

  /**
   * As {@link #submit(Path, String, String, String...)} with more spark-submit options ({@code
   * --conf k=v} ...) and more environment variables of the submitting process ({@code
   * D2O_DRIVER_JAVA_OPTS}, {@code SPARK_PRINT_LAUNCH_COMMAND} ...).
   */
  public Submission submit(
      Path workDir,
      String name,
      List<String> sparkOptions,
      Map<String, String> env,
      String... d2oArgs)
      throws IOException {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                repoRoot.resolve("deploy/spark-submit.sh").toString(),
                "--master",
                masterUrl,
                "--deploy-mode",
                "client",
                "--driver-memory",
                "1g",
                "--executor-memory",
                "1g",
                "--conf",
                "spark.ui.enabled=false",
                "--conf",
                "spark.driver.host=127.0.0.1",
                "--conf",
                "spark.driver.bindAddress=127.0.0.1"));
    cmd.addAll(sparkOptions);
    cmd.add("--");
    cmd.addAll(List.of(d2oArgs));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(workDir.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    environment(pb.environment());
    pb.environment()
        .put("SPARK_SUBMIT", repoRoot.resolve("deploy/local-cluster/spark-submit").toString());
    pb.environment().put("D2O_JAR", appJar.toString());
    pb.environment().putAll(env);
    Process p = pb.start();
    started.add(p);
    return new Submission(p, log);
  }

  /**
   * SIGKILLs the executor JVM of worker {@code i} (the Worker's child running
   * CoarseGrainedExecutorBackend) while it runs a task: its log (the Worker's work folder) shows a
   * "Running task ... (TID n)" without its "Finished task".
   */
  public long killExecutorInTask(int i, Duration timeout) throws IOException, InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      Optional<ProcessHandle> executor =
          workers
              .get(i)
              .children()
              .filter(
                  h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend"))
              .findFirst();
      Optional<Path> log = newestExecutorLog(i);
      if (executor.isPresent() && log.isPresent() && runsATask(Files.readString(log.get()))) {
        executor.get().destroyForcibly(); // SIGKILL
        return executor.get().pid();
      }
      Thread.sleep(10);
    }
    throw new AssertionError("worker " + i + " ran no task within " + timeout);
  }

  /**
   * The stderr files of every executor the Workers started so far (Spark writes the command first).
   */
  public List<Path> executorLogs() throws IOException {
    List<Path> logs = new ArrayList<>();
    for (int i = 0; i < workers.size(); i++) {
      try (var files = Files.walk(dir.resolve("work-" + i))) {
        files.filter(f -> f.getFileName().toString().equals("stderr")).forEach(logs::add);
      }
    }
    return logs;
  }

  private Optional<Path> newestExecutorLog(int i) throws IOException {
    try (var files = Files.walk(dir.resolve("work-" + i))) {
      return files
          .filter(f -> f.getFileName().toString().equals("stderr"))
          .max(java.util.Comparator.comparing(f -> f.toFile().lastModified()));
    }
  }

  private static boolean runsATask(String log) {
    java.util.Set<String> running = new java.util.HashSet<>();
    java.util.regex.Matcher m =
        java.util.regex.Pattern.compile("(Running|Finished) task .*?\\(TID (\\d+)\\)").matcher(log);
    while (m.find()) {
      if (m.group(1).equals("Running")) {
        running.add(m.group(2));
      } else {
        running.remove(m.group(2));
      }
    }
    return !running.isEmpty();
  }

  /** The master URL ({@code spark://127.0.0.1:PORT}). */
  public String masterUrl() {
    return masterUrl;
  }

  /** Kills every process this cluster started, children first; only those. */
  @Override
  public void close() {
    for (Process p : started) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
    }
    for (Process p : started) {
      try {
        p.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void awaitLog(Process p, Path log, String text, Duration timeout)
      throws InterruptedException, IOException {
    long end = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < end) {
      String s = Files.exists(log) ? Files.readString(log) : "";
      if (s.contains(text)) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException(log.getFileName() + " ended:\n" + Submission.tail(s));
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no '" + text + "' in " + log + " within " + timeout);
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
