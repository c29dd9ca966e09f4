package dev.d2o.model;

import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tensors of a model directory as its architecture declares them: for each canonical name
 * ({@link TensorLayout}), the stored name ({@link ModelFamily#storedNames}), the file and the
 * checked header entry, whether the directory has one {@code model.safetensors} or an index and its
 * shards. Files open on first use. Loading ({@link Pretrained}) and streaming a checkpoint into new
 * files ({@link ModelWriter}) both read through this.
 */
final class CheckpointFiles implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(CheckpointFiles.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private final ModelConfig config;
  private final Map<String, Path> sources;
  private final Map<String, String> storedName = new HashMap<>();
  private final Map<Path, SafeTensorsFile> open = new LinkedHashMap<>();

  private CheckpointFiles(ModelConfig config, Map<String, Path> sources) {
    this.config = config;
    this.sources = sources;
  }

  /**
   * The checkpoint of {@code dir} for {@code config}; warns about stored tensors it does not use.
   */
  static CheckpointFiles of(Path dir, ModelConfig config) {
    CheckpointFiles c = new CheckpointFiles(config, weightFiles(dir));
    for (String canonical : config.tensors().shapes().keySet()) {
      c.storedName.put(canonical, resolve(config.family().storedNames(canonical), c.sources));
    }
    List<String> unused = new ArrayList<>();
    for (String stored : c.sources.keySet()) {
      boolean used =
          c.storedName.containsValue(stored)
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
    return c;
  }

  /** The file holding canonical tensor {@code name}. */
  SafeTensorsFile file(String name) {
    return open.computeIfAbsent(sources.get(stored(name)), SafeTensorsFile::open);
  }

  /** The checked header entry of canonical tensor {@code name}. */
  SafeTensorsFile.Entry entry(String name) {
    String stored = stored(name);
    Path path = sources.get(stored);
    SafeTensorsFile.Entry entry = file(name).entries().get(stored);
    if (entry == null) {
      throw new ModelException(
          "tensor '" + stored + "' is listed in the index but missing from " + path);
    }
    Shape expected = config.tensors().shapes().get(name);
    Shape found = new Shape(entry.shape());
    if (!found.equals(expected)) {
      throw new ModelException(
          "tensor '"
              + stored
              + "' in "
              + path
              + " has shape "
              + found
              + "; expected "
              + expected
              + " for "
              + config.modelType());
    }
    return entry;
  }

  private String stored(String name) {
    String stored = storedName.get(name);
    if (stored == null) {
      throw new ModelException(
          "missing tensor '"
              + name
              + "' (expected shape "
              + config.tensors().shapes().get(name)
              + ") in the checkpoint of "
              + config.modelType());
    }
    return stored;
  }

  /** Name of each stored tensor → the file holding it. */
  static Map<String, Path> weightFiles(Path dir) {
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

  /**
   * The first of a tensor's possible stored names ({@link ModelFamily#storedNames}) that the
   * checkpoint holds, or null.
   */
  private static String resolve(List<String> names, Map<String, Path> sources) {
    return names.stream().filter(sources::containsKey).findFirst().orElse(null);
  }

  @Override
  public void close() {
    open.values().forEach(SafeTensorsFile::close);
  }
}
