package dev.d2o.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.spark.testing.StandaloneCluster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The application jar on a standalone cluster whose driver and executor class paths carry older
 * copies of the libraries the jar bundles, first (as {@code spark.driver.extraClassPath} and {@code
 * spark.executor.extraClassPath} put them, before Spark's jars and the application jar): gson
 * 2.2.4, Guava 14.0.1, picocli 3.9.6 and Typesafe Config 1.2.1. The run succeeds because the jar
 * calls its own relocated copies (dev.d2o.shaded.*). Without relocation the same submission fails
 * at start-up with {@code NoSuchMethodError: 'picocli.CommandLine
 * picocli.CommandLine.setExecutionExceptionHandler(...)'} (docs/cluster-jar.md). The model has a
 * chat template, so the executors also render prompts with the jar's relocated Jinjava and Guava.
 */
class ClusterClassPathIT {
  private static final Duration JOB_TIMEOUT = Duration.ofMinutes(5);
  private static final Pattern LOADED = Pattern.compile("\\] (\\S+) source: (\\S+)");

  @TempDir Path tmp;

  @Test
  void theJobRunsWithOlderCopiesOfItsLibrariesFirstOnDriverAndExecutorClassPaths()
      throws Exception {
    List<Path> older = conflictingJars();
    String cp = older.stream().map(Path::toString).collect(Collectors.joining(":"));
    Path logs = Path.of("target/cluster-classpath-it").toAbsolutePath();
    org.apache.commons.io.FileUtils.deleteDirectory(logs.toFile());
    Path classLog = tmp.resolve("driver-classes.txt");
    Path run = tmp.resolve("run");
    Path model = chatModel(tmp.resolve("model"));
    try (StandaloneCluster cluster =
        new StandaloneCluster(Files.createDirectories(logs)).start(1, 1, "1536m")) {
      var job =
          cluster.submit(
              Files.createDirectories(tmp.resolve("driver")),
              "run",
              List.of(
                  "--conf",
                  "spark.driver.extraClassPath=" + cp,
                  "--conf",
                  "spark.executor.extraClassPath=" + cp),
              Map.of(
                  "SPARK_PRINT_LAUNCH_COMMAND", "1",
                  "D2O_DRIVER_JAVA_OPTS", "-Xlog:class+load=info:file=" + classLog,
                  "D2O_EXECUTOR_JAVA_OPTS", ""),
              args(run, model));
      assertEquals(0, job.await(JOB_TIMEOUT), job.output());

      JsonNode summary = new ObjectMapper().readTree(run.resolve("summary.json").toFile());
      assertEquals(8, summary.get("anchor_rows").asInt(), summary.toString());
      assertEquals(2, summary.get("steps").asInt(), summary.toString());
      assertTrue(Files.isRegularFile(run.resolve("final/model.safetensors")));
      assertTrue(
          job.output().contains("prompts: rendered with the chat template of"), job.output());

      // the older copies really came first: on the driver's and on every executor's command line
      String driverCommand =
          job.output().lines().filter(l -> l.startsWith("Spark Command:")).findFirst().orElse("");
      assertTrue(
          classPath(driverCommand.split(" ")).startsWith(cp + ":"),
          "driver class path: " + driverCommand);
      List<Path> executors = cluster.executorLogs();
      assertFalse(executors.isEmpty(), "no executor ran");
      for (Path log : executors) {
        String command =
            Files.readString(log)
                .lines()
                .filter(l -> l.startsWith("Spark Executor Command:"))
                .findFirst()
                .orElse("");
        String[] words = command.replace("\"", "").split(" ");
        assertTrue(classPath(words).startsWith(cp + ":"), log + ": " + command);
      }
    }

    // and the driver called the jar's relocated copies, never the older ones
    String appJar = Path.of(System.getProperty("d2o.appJar")).getFileName().toString();
    Map<String, String> loaded = loadedClasses(classLog);
    for (String cls :
        List.of(
            "dev.d2o.shaded.picocli.CommandLine",
            "dev.d2o.shaded.com.typesafe.config.ConfigFactory")) {
      assertTrue(loaded.getOrDefault(cls, "").endsWith(appJar), cls + " from " + loaded.get(cls));
    }
    List<String> fromOlder =
        loaded.keySet().stream()
            .filter(
                c ->
                    Stream.of("picocli.", "com.typesafe.config.", "com.google.gson.")
                        .anyMatch(c::startsWith))
            .toList();
    assertTrue(fromOlder.isEmpty(), "classes of the older copies were loaded: " + fromOlder);
  }

  /** The tiny random model with a chat template that calls a Python string method. */
  private static Path chatModel(Path dir) throws IOException {
    Path tiny = Path.of("..", "data-samples", "tiny-random-llama").toAbsolutePath().normalize();
    Files.createDirectories(dir);
    try (Stream<Path> files = Files.list(tiny)) {
      for (Path f : files.toList()) {
        Files.copy(f, dir.resolve(f.getFileName()));
      }
    }
    Files.writeString(
        dir.resolve("tokenizer_config.json"),
        "{\"bos_token\": \"<s>\", \"eos_token\": \"<|endoftext|>\", \"chat_template\":"
            + " \"{% for m in messages %}{{ '<s>' + m['role'] + '\\\\n' + m['content'].strip()"
            + " + eos_token + '\\\\n' }}{% endfor %}{% if add_generation_prompt %}{{"
            + " '<s>assistant\\\\n' }}{% endif %}\"}");
    return dir;
  }

  private static String[] args(Path run, Path model) {
    Path root = Path.of("..").toAbsolutePath().normalize();
    return new String[] {
      "run",
      "--conf",
      root.resolve("conf/local.conf").toString(),
      "--set",
      "run.dir=" + run,
      "--set",
      "data.input=" + root.resolve("data-samples/negatives-sample.jsonl"),
      "--set",
      "model.path=" + model,
      "--set",
      "data.eval=",
      "--set",
      "eval.every=0",
      "--set",
      "data.maxRows=8",
      "--set",
      "anchors.numSamples=2",
      "--set",
      "anchors.maxNewTokens=4",
      "--set",
      "train.maxSteps=2",
      "--set",
      "train.batchSize=4",
      "--set",
      "train.chunkSize=4",
      "--set",
      "model.device=cpu"
    };
  }

  /** The older jars, in the order the pom's conflicting-jars execution lists them. */
  private static List<Path> conflictingJars() throws IOException {
    Path dir = Path.of(System.getProperty("d2o.conflictingJars", "target/conflicting-jars"));
    List<Path> jars = new ArrayList<>();
    for (String prefix : List.of("gson-2.", "guava-14.", "picocli-3.", "config-1.2.")) {
      try (Stream<Path> files = Files.list(dir)) {
        jars.add(
            files
                .filter(f -> f.getFileName().toString().startsWith(prefix))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no " + prefix + "*.jar in " + dir)));
      }
    }
    return jars;
  }

  /** The argument after {@code -cp} in a command line. */
  private static String classPath(String[] words) {
    int i = Arrays.asList(words).indexOf("-cp");
    return i < 0 || i + 1 >= words.length ? "" : words[i + 1];
  }

  /** Class name to the location it was loaded from, from a {@code -Xlog:class+load} file. */
  private static Map<String, String> loadedClasses(Path log) throws IOException {
    Map<String, String> loaded = new java.util.HashMap<>();
    for (String line : Files.readAllLines(log)) {
      Matcher m = LOADED.matcher(line);
      if (m.find()) {
        loaded.put(m.group(1), m.group(2));
      }
    }
    assertTrue(loaded.size() > 1000, "class-load log " + log + " has " + loaded.size() + " lines");
    return loaded;
  }
}
