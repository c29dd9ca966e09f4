package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes models in the Hugging Face layout as sharded safetensors ({@link SafeTensorsShards}),
 * {@code config.json} (with the {@code torch_dtype} written) and the tokenizer files, tensor by
 * tensor: an in-memory model, a trainer's master weights, or a checkpoint streamed from disk with
 * LoRA adapters merged in (W + (α/r)·B·A computed one tensor at a time, the base never held whole).
 * Tied heads are stored once, under the names {@code save_pretrained} uses.
 */
public final class ModelWriter {
  /** Files copied verbatim from the source model's directory. */
  static final List<String> SIDE_FILES =
      List.of(
          "tokenizer.json",
          "tokenizer_config.json",
          "special_tokens_map.json",
          "generation_config.json",
          "vocab.json",
          "merges.txt");

  /** Elements converted per block when a tensor is written. */
  private static final int BLOCK = 1 << 22;

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelWriter() {}

  /** Writes {@code model}'s weights, each in {@code type}. */
  public static void save(
      CausalLM model, Path out, Path sideFilesFrom, WeightType type, long maxShardBytes)
      throws IOException {
    List<SafeTensorsShards.Tensor> specs = new ArrayList<>();
    for (TensorLayout.Tensor t : model.layout().tensors()) {
      specs.add(new SafeTensorsShards.Tensor(t.name(), type.dtype(), t.shape().getShape()));
    }
    SafeTensorsShards.write(
        out,
        specs,
        maxShardBytes,
        (t, os) -> writeArray(model.param(t.name()), WeightType.of(t.dtype()), t.name(), os));
    writeConfig(model.config(), type, out);
    copySideFiles(sideFilesFrom, out);
  }

  /**
   * Writes master weights ({@code names[i]} → {@code weights[i]}), each tensor in the dtype the
   * checkpoint in {@code baseDir} stores it in (F32 values narrowed to F16 or BF16 as needed).
   */
  public static void saveWeights(
      ModelConfig config,
      List<String> names,
      float[][] weights,
      Path baseDir,
      Path out,
      long maxShardBytes)
      throws IOException {
    try (CheckpointFiles base = CheckpointFiles.of(baseDir, config)) {
      List<SafeTensorsShards.Tensor> specs = new ArrayList<>();
      for (TensorLayout.Tensor t : config.tensors().tensors()) {
        DType stored = base.entry(t.name()).dtype();
        specs.add(new SafeTensorsShards.Tensor(t.name(), stored, t.shape().getShape()));
      }
      SafeTensorsShards.write(
          out,
          specs,
          maxShardBytes,
          (t, os) -> {
            float[] w = weights[names.indexOf(t.name())];
            writeFloats(w, WeightType.of(t.dtype()), t.name(), os);
          });
      writeConfig(config, WeightType.of(specs.get(0).dtype()), out);
    }
    copySideFiles(baseDir, out);
  }

  /**
   * Streams the checkpoint in {@code baseDir} to {@code out} with {@code adapters} merged: each
   * adapted projection W + (α/r)·B·A is computed alone (in F32) and written in the base's dtype;
   * every other tensor is copied from the base as stored. {@code manager} holds one tensor at a
   * time.
   */
  public static void saveMerged(
      Path baseDir, LoraAdapters adapters, Path out, long maxShardBytes, NDManager manager)
      throws IOException {
    ModelConfig config = adapters.modelConfig();
    try (CheckpointFiles base = CheckpointFiles.of(baseDir, config)) {
      List<SafeTensorsShards.Tensor> specs = new ArrayList<>();
      for (TensorLayout.Tensor t : config.tensors().tensors()) {
        specs.add(
            new SafeTensorsShards.Tensor(
                t.name(), base.entry(t.name()).dtype(), t.shape().getShape()));
      }
      SafeTensorsShards.write(
          out,
          specs,
          maxShardBytes,
          (t, os) -> {
            SafeTensorsFile file = base.file(t.name());
            SafeTensorsFile.Entry e = base.entry(t.name());
            if (!adapters.adapts(t.name())) {
              copy(file, e, os); // as stored, byte for byte
              return;
            }
            try (NDManager m = manager.newSubManager();
                NDArray w = file.load(e.name(), WeightType.FLOAT32, m);
                NDArray merged = adapters.mergedWeight(t.name(), w)) {
              writeArray(merged, WeightType.of(t.dtype()), t.name(), os);
            }
          });
      writeConfig(config, WeightType.of(specs.get(0).dtype()), out);
    }
    copySideFiles(baseDir, out);
  }

  /** Writes {@code a} (any shape) as little-endian {@code type} elements, a block at a time. */
  static void writeArray(NDArray a, WeightType type, String name, OutputStream os)
      throws IOException {
    long n = a.size();
    try (NDArray flat = a.reshape(n)) {
      for (long from = 0; from < n; from += BLOCK) {
        try (NDArray part = flat.get("{}:{}", from, Math.min(n, from + BLOCK))) {
          if (part.getDataType() == type.dataType()
              && ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
            os.write(part.toByteArray());
          } else {
            try (NDArray f = part.toType(DataType.FLOAT32, false)) {
              writeFloats(f.toFloatArray(), type, name, os);
            }
          }
        }
      }
    }
  }

  /** Writes {@code values} as little-endian {@code type} elements. */
  static void writeFloats(float[] values, WeightType type, String name, OutputStream os)
      throws IOException {
    for (int from = 0; from < values.length; from += BLOCK) {
      int to = Math.min(values.length, from + BLOCK);
      ByteBuffer buf =
          ByteBuffer.allocate((to - from) * type.bytes()).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = from; i < to; i++) {
        TensorLoader.put(buf, values[i], type, name, "the model being written", i);
      }
      os.write(buf.array());
    }
  }

  private static void copy(SafeTensorsFile file, SafeTensorsFile.Entry e, OutputStream os)
      throws IOException {
    long size = e.end() - e.begin();
    ByteBuffer buf = ByteBuffer.allocate((int) Math.min(size, 64L << 20));
    for (long from = 0; from < size; from += buf.capacity()) {
      buf.clear().limit((int) Math.min(buf.capacity(), size - from));
      file.read(e, from, buf);
      os.write(buf.array(), 0, buf.limit());
    }
  }

  /** {@code config.json}: the source config with {@code torch_dtype} set to what was written. */
  static void writeConfig(ModelConfig config, WeightType type, Path out) throws IOException {
    ObjectNode json = config.raw().deepCopy();
    json.put("torch_dtype", type.torchName());
    Pretrained.writeAtomically(
        out.resolve("config.json"),
        os -> JSON.writerWithDefaultPrettyPrinter().writeValue(os, json));
  }

  /** Copies the tokenizer files of {@code from} (when given) into {@code out}. */
  static void copySideFiles(Path from, Path out) throws IOException {
    if (from == null) {
      return;
    }
    for (String name : SIDE_FILES) {
      Path src = from.resolve(name);
      if (Files.isRegularFile(src)
          && !src.toAbsolutePath().equals(out.resolve(name).toAbsolutePath())) {
        Files.copy(src, out.resolve(name), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }
}
