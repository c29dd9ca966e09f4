package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
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

  private final Path dir;
  private final CausalLM model;
  private TextTokenizer tokenizer;

  private Pretrained(Path dir, CausalLM model) {
    this.dir = dir;
    this.model = model;
  }

  /**
   * Loads {@code dir} in F32; the model's weights live in a sub-manager of {@code manager}. Every
   * weight is converted to F32 on load, whatever the checkpoint stores.
   */
  public static Pretrained load(Path dir, NDManager manager) {
    return load(dir, manager, LoadOptions.FLOAT32);
  }

  /**
   * Loads {@code dir} with the weights stored as {@code options} asks ({@code model.dtype}) and
   * placed on its devices ({@code model.device}); the model's weights live in a sub-manager of
   * {@code manager} (and its sub-managers on the other devices).
   */
  public static Pretrained load(Path dir, NDManager manager, LoadOptions options) {
    if (!Files.isDirectory(dir)) {
      throw new ModelException("model directory not found: " + dir);
    }
    ModelConfig config = ModelConfig.load(dir);
    WeightType type = options.weightType(config, manager.getDevice());
    Placement placement = options.placement(config, type, manager.getDevice());
    NDManager m = manager.newSubManager(placement.device(placement.embeddingStage()));
    try (CheckpointFiles files = CheckpointFiles.of(dir, config)) {
      Map<String, NDManager> managers = managersByTensor(config, placement, m);
      Map<String, NDArray> params = new LinkedHashMap<>();
      for (String name : config.tensors().shapes().keySet()) {
        SafeTensorsFile.Entry entry = files.entry(name);
        params.put(name, files.file(name).load(entry.name(), type, managers.get(name)));
      }
      if (placement.isStaged()) {
        LOG.info("{} placed in {}: {}", dir, type.torchName(), placement);
      }
      return new Pretrained(dir, CausalLM.of(config, params, m, placement));
    } catch (RuntimeException e) {
      m.close();
      throw e;
    }
  }

  /** For each tensor, the manager on the device of its group ({@code m} on the first device). */
  private static Map<String, NDManager> managersByTensor(
      ModelConfig config, Placement placement, NDManager m) {
    TensorLayout layout = config.tensors();
    Map<Integer, NDManager> byStage = new HashMap<>();
    byStage.put(placement.embeddingStage(), m);
    Map<String, NDManager> out = new HashMap<>();
    List<TensorLayout.Group> groups = new ArrayList<>();
    groups.add(layout.embedding());
    groups.addAll(layout.layers());
    groups.add(layout.head());
    for (int g = 0; g < groups.size(); g++) {
      int stage =
          g == 0
              ? placement.embeddingStage()
              : g == groups.size() - 1 ? placement.headStage() : placement.layerStage(g - 1);
      NDManager sm = byStage.computeIfAbsent(stage, s -> m.newSubManager(placement.device(s)));
      groups.get(g).tensors().forEach(t -> out.put(t.name(), sm));
    }
    return out;
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
   * save_pretrained} writes them, tied heads stored once, shards of at most 5 GB) and copies the
   * tokenizer files from {@code sideFilesFrom} when given.
   */
  public static void save(CausalLM model, Path out, Path sideFilesFrom) throws IOException {
    ModelWriter.save(
        model, out, sideFilesFrom, WeightType.FLOAT32, SafeTensorsShards.MAX_SHARD_BYTES);
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
