package dev.d2o;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * What the main code may load (docs/reliability.md, "Safety"): no class is loaded by a name taken
 * from configuration or from a file, except where listed below with the reason; no pickle or
 * TorchScript loader is used, so only safetensors weights are read.
 */
class SafetyTest {
  /** Reflection, class loading, deserialization and non-safetensors model loaders. */
  private static final Pattern RISKY =
      Pattern.compile(
          "Class\\.forName|ClassLoader|loadClass|\\.newInstance\\("
              + "|getDeclaredConstructor|getConstructor\\(|getDeclaredMethod|getMethod\\(|setAccessible|MethodHandles"
              + "|ServiceLoader|ObjectInputStream|readObject\\(|DefaultTyping|JsonTypeInfo|NDList\\.decode|Criteria\\."
              + "|ModelZoo|PtModel|JitModule|torch\\.load|PipelineModel\\.load|read\\(\\)\\.load\\(");

  /** Every place that matches, with why it is safe (the same list is in docs/reliability.md). */
  private static final Map<String, String> ALLOWED =
      Map.ofEntries(
          Map.entry(
              "model-core/src/main/java/dev/d2o/model/TextTokenizer.java: .newInstance(",
              "HuggingFaceTokenizer.newInstance is a static factory that parses tokenizer.json; no class is named"),
          Map.entry(
              "model-core/src/main/java/dev/d2o/model/NativePlatform.java: ClassLoader",
              "getResources(\"native/lib/pytorch.properties\"): reads DJL's libtorch properties files by their"
                  + " fixed name, as DJL does; no class is loaded"),
          Map.entry(
              "spark-job/src/main/java/dev/d2o/datagen/CorpusTokenizer.java: .newInstance(",
              "the same factory, on the tokenizer.json the data generator has just written"),
          Map.entry(
              "spark-job/src/main/java/dev/d2o/spark/cost/DemoCostModel.java: PipelineModel.load",
              "the demo's cost model: MLlib instantiates its stages by the class names in its metadata (trusted directory,"
                  + " as eval.costModel)"),
          Map.entry(
              "model-core/src/main/java/dev/d2o/train/GradientSums.java: ObjectInputStream",
              "a gradient task's result inside Spark's own task-result channel (executors to driver)"),
          Map.entry(
              "model-core/src/main/java/dev/d2o/train/GradientSums.java: readObject(",
              "the same: reads only ints, longs, doubles and raw float/double arrays (RawArrays), no class"),
          Map.entry(
              "spark-job/src/main/java/dev/d2o/spark/io/SerializableConf.java: ObjectInputStream",
              "Java serialization of the Hadoop configuration inside Spark's own task channel (driver to executors)"),
          Map.entry(
              "spark-job/src/main/java/dev/d2o/spark/io/SerializableConf.java: readObject(",
              "the same: Spark deserializes tasks it sent itself"),
          Map.entry(
              "spark-job/src/main/java/dev/d2o/spark/eval/CostModelAdapter.java: PipelineModel.load",
              "eval.costModel: Spark MLlib instantiates the saved pipeline's stages by the class names in its metadata;"
                  + " the directory must be trusted, like any Spark ML model"),
          Map.entry(
              "spark-job/src/main/java/dev/d2o/spark/ml/D2O.java: read().load(",
              "MLlib's reader of the D2O estimator's own params (no class name is read)"),
          Map.entry(
              "spark-job/src/main/java/dev/d2o/spark/ml/D2OModel.java: read().load(",
              "MLlib's reader of D2OModel: params plus a safetensors model directory"));

  @Test
  void noClassIsLoadedByANameFromConfigurationAndNoPickleLoaderIsUsed() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    Map<String, String> found = new TreeMap<>();
    for (String module : List.of("model-core", "spark-job")) {
      try (Stream<Path> files = Files.walk(root.resolve(module).resolve("src/main/java"))) {
        for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
          List<String> lines = Files.readAllLines(f);
          for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).trim();
            if (line.startsWith("*") || line.startsWith("//") || line.startsWith("/*")) {
              continue; // comments and Javadoc may name these
            }
            Matcher m = RISKY.matcher(line);
            while (m.find()) {
              found.put(root.relativize(f) + ": " + m.group(), (i + 1) + ": " + line);
            }
          }
        }
      }
    }
    System.out.println("reflection / deserialization / model loaders in the main code:");
    found.forEach(
        (k, v) -> System.out.println("  " + k + " (line " + v + ") -- " + ALLOWED.get(k)));
    assertTrue(
        ALLOWED.keySet().containsAll(found.keySet()),
        "not in the reviewed list: "
            + found.keySet().stream().filter(k -> !ALLOWED.containsKey(k)).toList());
    assertEquals(
        ALLOWED.keySet(), found.keySet(), "the reviewed list names a place that no longer exists");
  }
}
