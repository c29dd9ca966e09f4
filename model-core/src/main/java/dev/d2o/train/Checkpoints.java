package dev.d2o.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.model.CausalLM;
import dev.d2o.model.LoraAdapters;
import dev.d2o.model.LoraConfig;
import dev.d2o.model.ModelConfig;
import dev.d2o.model.PeftAdapter;
import dev.d2o.model.Pretrained;
import dev.d2o.model.SafeTensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checkpoints under one root, one directory per step ({@code checkpoint-00000010/}): the model in
 * the Hugging Face layout ({@code config.json}, {@code model.safetensors}, tokenizer files), the
 * optimizer state ({@value #OPTIMIZER}: {@code exp_avg.<param>}, {@code exp_avg_sq.<param>}) and
 * the trainer state ({@value #STATE}: step, consumed examples, data position, RNG, configuration
 * and its hash, library versions). A LoRA checkpoint holds the adapters in PEFT's format instead of
 * the model ({@code adapter_config.json}, {@code adapter_model.safetensors}) and names its base
 * model in the trainer state; the optimizer state then covers the adapters only.
 *
 * <p>A checkpoint is written into a hidden temporary sibling, forced to stable storage ({@link
 * FileSync}) and renamed into place in one atomic move, so a crash mid-write leaves the earlier
 * checkpoints whole and never a half-written {@code checkpoint-*}. {@link #save} never deletes
 * anything: the caller calls {@link #prune} once the new checkpoint counts as complete (for the
 * Spark job that is after its {@code _COMPLETE} marker), so a crash in between still leaves the
 * previous checkpoint. Resuming is {@link CheckpointReader}'s job.
 */
public final class Checkpoints {
  public static final String OPTIMIZER = "optimizer.safetensors";
  public static final String STATE = "trainer_state.json";
  static final Pattern NAME = Pattern.compile("checkpoint-(\\d{8})");
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Called before each part of a checkpoint is written; tests inject failures through it. */
  @FunctionalInterface
  interface WriteHook {
    void before(String part) throws IOException;
  }

  private final Path root;
  private final int keep;
  private final WriteHook hook;

  /** Checkpoints under {@code root}, keeping the newest {@code keep}. */
  public Checkpoints(Path root, int keep) {
    this(root, keep, part -> {});
  }

  Checkpoints(Path root, int keep, WriteHook hook) {
    if (keep < 1) {
      throw new IllegalArgumentException("checkpoint.keep must be ≥ 1, got " + keep);
    }
    this.root = root;
    this.keep = keep;
    this.hook = hook;
  }

  /**
   * Writes the checkpoint of {@code state}'s step, atomically and durably; old ones stay until
   * {@link #prune}.
   *
   * @param sideFilesFrom a model directory whose tokenizer files are copied along, or null
   * @param dataPosition where the data reader stands (written as given, e.g. epoch and offset)
   * @return the checkpoint directory
   */
  public Path save(
      ModelConfig modelConfig,
      Path sideFilesFrom,
      TrainerState state,
      TrainConfig config,
      Map<String, Object> dataPosition)
      throws IOException {
    return save(modelConfig, sideFilesFrom, state, config, dataPosition, null);
  }

  /**
   * An adapter checkpoint's LoRA configuration and the base model it adapts (recorded, not copied).
   *
   * @param baseModel the base model directory or URI ("" when the reader must be told)
   */
  public record Lora(LoraConfig config, String baseModel) {}

  /**
   * As {@link #save(ModelConfig, Path, TrainerState, TrainConfig, Map)}; with {@code lora} the
   * state's weights are adapters, and the checkpoint holds them in PEFT's format ({@link
   * PeftAdapter}) instead of a full model.
   */
  public Path save(
      ModelConfig modelConfig,
      Path sideFilesFrom,
      TrainerState state,
      TrainConfig config,
      Map<String, Object> dataPosition,
      Lora lora)
      throws IOException {
    Files.createDirectories(root);
    String name = String.format("checkpoint-%08d", state.step());
    Path target = root.resolve(name);
    Path tmp = root.resolve("." + name + ".tmp");
    deleteRecursively(tmp); // a crashed earlier attempt
    Files.createDirectories(tmp);
    try (NDManager m = NDManager.newBaseManager()) {
      hook.before("model");
      Map<String, Shape> shapes;
      if (lora == null) {
        Pretrained.save(
            CausalLM.fromWeights(modelConfig, state.names(), state.weights(), m),
            tmp,
            sideFilesFrom);
        shapes = CausalLM.parameterShapes(modelConfig);
      } else {
        PeftAdapter.save(
            LoraAdapters.fromWeights(modelConfig, lora.config(), state.names(), state.weights(), m),
            lora.baseModel(),
            tmp);
        shapes = lora.config().shapes(modelConfig);
      }
      hook.before(OPTIMIZER);
      Map<String, NDArray> moments = new LinkedHashMap<>();
      for (int p = 0; p < state.names().size(); p++) {
        String param = state.names().get(p);
        moments.put("exp_avg." + param, m.create(state.optimizer().expAvg()[p], shapes.get(param)));
      }
      for (int p = 0; p < state.names().size(); p++) {
        String param = state.names().get(p);
        moments.put(
            "exp_avg_sq." + param, m.create(state.optimizer().expAvgSq()[p], shapes.get(param)));
      }
      Pretrained.writeAtomically(
          tmp.resolve(OPTIMIZER),
          os ->
              SafeTensorsWriter.write(
                  os,
                  moments,
                  Map.of("optimizer", "AdamW", "step", Long.toString(state.optimizer().steps()))));
      hook.before(STATE);
      ObjectNode json = stateJson(state, config, dataPosition);
      if (lora != null) {
        json.put("base_model", lora.baseModel());
        json.set("lora", JSON.valueToTree(lora.config()));
      }
      Pretrained.writeAtomically(
          tmp.resolve(STATE), os -> JSON.writerWithDefaultPrettyPrinter().writeValue(os, json));
      FileSync.tree(tmp); // the data is on disk before the rename makes it visible
      if (Files.exists(target)) {
        // the same step saved again: move the old one aside first, then replace it
        Path old = root.resolve("." + name + ".old");
        deleteRecursively(old);
        Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        deleteRecursively(old);
      } else {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
      }
      FileSync.directory(root); // and so is the rename
    } catch (IOException | RuntimeException e) {
      deleteRecursively(tmp);
      throw e;
    }
    return target;
  }

  private static ObjectNode stateJson(
      TrainerState state, TrainConfig config, Map<String, Object> dataPosition) {
    ObjectNode n = JSON.createObjectNode();
    n.put("step", state.step());
    n.put("consumed_examples", state.consumedExamples());
    n.put("weights_version", state.weightsVersion());
    n.put("optimizer_steps", state.optimizer().steps());
    n.put("skipped_steps", state.skippedSteps());
    n.put("consecutive_skips", state.consecutiveSkips());
    n.set("data_position", JSON.valueToTree(dataPosition));
    ObjectNode rng = n.putObject("rng");
    rng.put("seed", config.get(TrainConfig.SEED));
    rng.put(
        "note",
        "the data order of epoch e is a Fisher-Yates shuffle by java.util.Random(seed·1000003 + e);"
            + " nothing else in a step is random");
    n.set("config", config.toJson());
    n.put("config_hash", config.hash());
    ObjectNode v = n.putObject("versions");
    v.put(
        "d2o",
        Optional.ofNullable(Checkpoints.class.getPackage().getImplementationVersion())
            .orElse("dev"));
    v.put("djl", Engine.getDjlVersion());
    v.put("engine", Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion());
    v.put("java", System.getProperty("java.version"));
    return n;
  }

  /** Checkpoint directories under the root, oldest first. */
  public List<Path> list() throws IOException {
    if (!Files.isDirectory(root)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(root)) {
      return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
          .filter(p -> Files.isRegularFile(p.resolve(STATE)))
          .sorted(Comparator.comparing(p -> p.getFileName().toString()))
          .toList();
    }
  }

  /** The newest complete checkpoint, if any. */
  public Optional<Path> latest() throws IOException {
    List<Path> all = list();
    return all.isEmpty() ? Optional.empty() : Optional.of(all.get(all.size() - 1));
  }

  /**
   * Deletes all but the newest {@code keep} checkpoints. Call it only after the newest one is
   * complete, so that a crash never leaves fewer than one.
   */
  public void prune() throws IOException {
    List<Path> all = new ArrayList<>(list());
    for (int i = 0; i < all.size() - keep; i++) {
      deleteRecursively(all.get(i));
    }
  }

  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Reads a checkpoint's trainer state JSON. */
  static JsonNode readState(Path dir) {
    try {
      return JSON.readTree(dir.resolve(STATE).toFile());
    } catch (IOException e) {
      throw new TrainException("cannot read " + dir.resolve(STATE) + ": " + e.getMessage(), e);
    }
  }
}
