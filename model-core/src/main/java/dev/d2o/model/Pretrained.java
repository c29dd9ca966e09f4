package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model directory in the Hugging Face layout: {@code config.json}, {@code model.safetensors} (or
 * {@code model.safetensors.index.json} and its shards), {@code tokenizer.json} and the optional
 * {@code generation_config.json} / {@code tokenizer_config.json}. Loads the weights as F32 and
 * saves them back so that transformers loads the result.
 */
public final class Pretrained implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Pretrained.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Files copied verbatim when saving. */
  private static final List<String> SIDE_FILES =
      List.of(
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "generation_config.json",
          "vocab.json",
          "merges.txt");

  private final Path dir;
  private final CausalLM model;
  private TextTokenizer tokenizer;

  private Pretrained(Path dir, CausalLM model) {
    this.dir = dir;
    this.model = model;
  }

  /** Loads {@code dir}; the model's weights live in a sub-manager of {@code manager}. */
  public static Pretrained load(Path dir, NDManager manager) {
    if (!Files.isDirectory(dir)) {
      throw new ModelException("model directory not found: " + dir);
    }
    ModelConfig config = ModelConfig.load(dir);
    Map<String, Path> sources = weightFiles(dir);
    NDManager m = manager.newSubManager();
    try {
      Map<String, NDArray> params = readWeights(config, sources, m);
      return new Pretrained(dir, CausalLM.of(config, params, m));
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** Name of each stored tensor → the file holding it. */
  private static Map<String, Path> weightFiles(Path dir) {
    Path single = dir.resolve("model.safetensors");
    Path index = dir.resolve("model.safetensors.index.json");
    Map<String, Path> out = new LinkedHashMap<>();
    if (Files.isRegularFile(index)) {
      JsonNode map;
      try {
        map = JSON.readTree(index.toFile()).path("weight_map");
      } catch (IOException e) {
        throw new ModelException("cannot parse " + index + ": " + e.getMessage(), e);
      }
      if (!map.isObject() || map.isEmpty()) {
        throw new ModelException(index + " has no 'weight_map' object");
      }
      map.fields()
          .forEachRemaining(f -> out.put(f.getKey(), safeChild(dir, f.getValue().asText(), index)));
      return out;
    }
    if (Files.isRegularFile(single)) {
      try (SafeTensorsFile f = SafeTensorsFile.open(single)) {
        f.entries().keySet().forEach(k -> out.put(k, single));
      }
      return out;
    }
    List<String> pickles = pickleFiles(dir);
    if (!pickles.isEmpty()) {
      throw new ModelException(
          "model directory "
              + dir
              + " holds only pickle checkpoints "
              + pickles
              + ", which are refused: unpickling can execute arbitrary code. Convert them to safetensors, for example"
              + " with transformers: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(out,"
              + " safe_serialization=True)");
    }
    throw new ModelException(
        "missing weights in model directory "
            + dir
            + ": expected model.safetensors or model.safetensors.index.json");
  }

  /** A shard name from an index must stay inside the model directory. */
  private static Path safeChild(Path dir, String name, Path index) {
    Path p = dir.resolve(name).normalize();
    if (!p.startsWith(dir.normalize()) || name.isBlank()) {
      throw new ModelException(index + " names shard '" + name + "' outside the model directory");
    }
    return p;
  }

  private static List<String> pickleFiles(Path dir) {
    List<String> out = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.{bin,pt,pth,ckpt}")) {
      ds.forEach(p -> out.add(p.getFileName().toString()));
    } catch (IOException e) {
      throw new ModelException("cannot list " + dir + ": " + e.getMessage(), e);
    }
    out.sort(null);
    return out;
  }

  private static Map<String, NDArray> readWeights(
      ModelConfig config, Map<String, Path> sources, NDManager m) {
    Map<String, Shape> expected = CausalLM.parameterShapes(config);
    Map<String, String> storedName = new HashMap<>();
    for (String canonical : expected.keySet()) {
      storedName.put(canonical, resolve(config.family().storedNames(canonical), sources));
    }
    List<String> unused = new ArrayList<>();
    for (String stored : sources.keySet()) {
      boolean used =
          storedName.containsValue(stored)
              || config.family().isBuffer(stored)
              || (config.tieWordEmbeddings() && stored.equals("lm_head.weight"));
      if (!used) {
        unused.add(stored);
      }
    }
    if (!unused.isEmpty()) {
      LOG.warn(
          "{} tensors in the checkpoint are not used by {}: {}",
          unused.size(),
          config.modelType(),
          unused.subList(0, Math.min(5, unused.size())));
    }
    Map<Path, SafeTensorsFile> open = new LinkedHashMap<>();
    try {
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (Map.Entry<String, Shape> e : expected.entrySet()) {
        String stored = storedName.get(e.getKey());
        if (stored == null) {
          throw new ModelException(
              "missing tensor '"
                  + e.getKey()
                  + "' (expected shape "
                  + e.getValue()
                  + ") in the checkpoint of "
                  + config.modelType());
        }
        Path file = sources.get(stored);
        SafeTensorsFile f = open.computeIfAbsent(file, SafeTensorsFile::open);
        SafeTensorsFile.Entry entry = f.entries().get(stored);
        if (entry == null) {
          throw new ModelException(
              "tensor '" + stored + "' is listed in the index but missing from " + file);
        }
        Shape found = new Shape(entry.shape());
        if (!found.equals(e.getValue())) {
          throw new ModelException(
              "tensor '"
                  + stored
                  + "' in "
                  + file
                  + " has shape "
                  + found
                  + "; expected "
                  + e.getValue()
                  + " for "
                  + config.modelType());
        }
        params.put(e.getKey(), f.loadF32(stored, m));
      }
      return params;
    } finally {
      open.values().forEach(SafeTensorsFile::close);
    }
  }

  /**
   * The first of a tensor's possible stored names ({@link ModelFamily#storedNames}) that the
   * checkpoint holds, or null.
   */
  private static String resolve(List<String> names, Map<String, Path> sources) {
    return names.stream().filter(sources::containsKey).findFirst().orElse(null);
  }

  /** The directory this was loaded from. */
  public Path dir() {
    return dir;
  }

  /** The model. */
  public CausalLM model() {
    return model;
  }

  /** The tokenizer, loaded on first use; fails with a clear error when the directory has none. */
  public synchronized TextTokenizer tokenizer() {
    if (tokenizer == null) {
      tokenizer = TextTokenizer.load(dir, model.config());
      int have = tokenizer.vocabularySize();
      if (have > model.config().vocabSize()) {
        throw new ModelException(
            "tokenizer "
                + tokenizer.file()
                + " has "
                + have
                + " tokens but the model's vocab_size is "
                + model.config().vocabSize()
                + ": the tokenizer does not belong to this model");
      }
    }
    return tokenizer;
  }

  /**
   * Saves {@code model} to {@code out} in the Hugging Face layout (F32 safetensors, names as {@code
   * save_pretrained} writes them, tied heads stored once) and copies the tokenizer files from
   * {@code sideFilesFrom} when given.
   */
  public static void save(CausalLM model, Path out, Path sideFilesFrom) throws IOException {
    Files.createDirectories(out);
    ObjectNode config = model.config().raw().deepCopy();
    config.put("torch_dtype", "float32");
    writeAtomically(
        out.resolve("config.json"),
        os -> JSON.writerWithDefaultPrettyPrinter().writeValue(os, config));
    writeAtomically(
        out.resolve("model.safetensors"),
        os -> SafeTensorsWriter.write(os, model.parameters(), Map.of()));
    if (sideFilesFrom != null) {
      for (String name : SIDE_FILES) {
        Path src = sideFilesFrom.resolve(name);
        if (Files.isRegularFile(src)
            && !src.toAbsolutePath().equals(out.resolve(name).toAbsolutePath())) {
          Files.copy(src, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
        }
      }
    }
  }

  /** Writes through {@code body} into a temporary sibling, then renames it over {@code target}. */
  public static void writeAtomically(Path target, IoBody body) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    try (OutputStream os = new BufferedOutputStream(Files.newOutputStream(tmp), 1 << 20)) {
      body.write(os);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** A body that writes one file. */
  @FunctionalInterface
  public interface IoBody {
    /** Writes the content. */
    void write(OutputStream out) throws IOException;
  }

  @Override
  public void close() {
    if (tokenizer != null) {
      tokenizer.close();
    }
    model.close();
  }

  @Override
  public String toString() {
    return "Pretrained["
        + dir
        + ", "
        + model.config().modelType()
        + ", "
        + Arrays.toString(new long[] {model.config().parameterCount()})
        + " params]";
  }
}
