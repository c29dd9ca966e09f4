package dev.d2o.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a model's tensors as Hugging Face's {@code save_pretrained} does: one {@code
 * model.safetensors} when they fit one shard, else {@code model-00001-of-0000N.safetensors} shards
 * of at most {@link #MAX_SHARD_BYTES} (a larger tensor gets a shard of its own) and {@code
 * model.safetensors.index.json} ({@code metadata.total_size}, {@code weight_map}). The shards are
 * planned from the tensors' sizes first, then each file is written tensor by tensor from a {@link
 * Source}, so no more than one tensor (or a block of one) is in memory. Each file is written to a
 * temporary name and renamed; the index comes last, and files of an earlier save that the new one
 * does not use are removed.
 */
public final class SafeTensorsShards {
  /** save_pretrained's default {@code max_shard_size="5GB"} (10⁹ bytes per GB, as it counts). */
  public static final long MAX_SHARD_BYTES = 5_000_000_000L;

  /** The index file of a sharded checkpoint. */
  public static final String INDEX = "model.safetensors.index.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private SafeTensorsShards() {}

  /**
   * One tensor to write.
   *
   * @param name its name in the file
   * @param dtype how its elements are stored
   * @param shape its shape
   */
  public record Tensor(String name, DType dtype, long[] shape) {
    /** Bytes of its data. */
    public long bytes() {
      long n = dtype.bytes();
      for (long d : shape) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    }
  }

  /** Writes the little-endian bytes of one tensor when its turn comes. */
  @FunctionalInterface
  public interface Source {
    /** Writes exactly {@code t.bytes()} bytes of {@code t} to {@code out}. */
    void write(Tensor t, OutputStream out) throws IOException;
  }

  /**
   * Writes {@code tensors} (in order) into {@code dir}; returns the file names written, the index
   * last when there is one.
   */
  public static List<String> write(
      Path dir, List<Tensor> tensors, long maxShardBytes, Source source) throws IOException {
    Files.createDirectories(dir);
    List<List<Tensor>> shards = plan(tensors, maxShardBytes);
    List<String> names = new ArrayList<>();
    Map<String, String> weightMap = new LinkedHashMap<>();
    for (int i = 0; i < shards.size(); i++) {
      String name =
          shards.size() == 1
              ? "model.safetensors"
              : String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
      List<Tensor> shard = shards.get(i);
      Pretrained.writeAtomically(
          dir.resolve(name),
          out -> {
            writeHeader(out, shard);
            for (Tensor t : shard) {
              source.write(t, out);
            }
          });
      shard.forEach(t -> weightMap.put(t.name(), name));
      names.add(name);
    }
    if (shards.size() > 1) {
      ObjectNode index = JSON.createObjectNode();
      index
          .putObject("metadata")
          .put("total_size", tensors.stream().mapToLong(Tensor::bytes).sum());
      ObjectNode map = index.putObject("weight_map");
      weightMap.forEach(map::put);
      Pretrained.writeAtomically(
          dir.resolve(INDEX), out -> JSON.writerWithDefaultPrettyPrinter().writeValue(out, index));
      names.add(INDEX);
    }
    removeStale(dir, new HashSet<>(names));
    return names;
  }

  /**
   * The tensors in shards, in order: a shard takes tensors while it stays within {@code max} bytes
   * (save_pretrained's rule); a tensor larger than {@code max} is a shard alone.
   */
  static List<List<Tensor>> plan(List<Tensor> tensors, long max) {
    List<List<Tensor>> shards = new ArrayList<>();
    List<Tensor> current = new ArrayList<>();
    long size = 0;
    for (Tensor t : tensors) {
      if (!current.isEmpty() && size + t.bytes() > max) {
        shards.add(current);
        current = new ArrayList<>();
        size = 0;
      }
      current.add(t);
      size += t.bytes();
    }
    if (!current.isEmpty() || shards.isEmpty()) {
      shards.add(current);
    }
    return shards;
  }

  /**
   * The 8-byte header length, the JSON header ({@code "__metadata__": {"format": "pt"}}, which
   * transformers requires, then each tensor's dtype, shape and offsets) padded with spaces to 8
   * bytes.
   */
  static void writeHeader(OutputStream out, List<Tensor> tensors) throws IOException {
    ObjectNode header = JSON.createObjectNode();
    header.putObject("__metadata__").put("format", "pt");
    long offset = 0;
    for (Tensor t : tensors) {
      ObjectNode e = header.putObject(t.name());
      e.put("dtype", t.dtype().name());
      var shape = e.putArray("shape");
      for (long d : t.shape()) {
        shape.add(d);
      }
      e.putArray("data_offsets").add(offset).add(offset + t.bytes());
      offset += t.bytes();
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded = (json.length + 7) / 8 * 8;
    out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded).array());
    out.write(json);
    out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
  }

  private static void removeStale(Path dir, Set<String> keep) throws IOException {
    try (DirectoryStream<Path> ds =
        Files.newDirectoryStream(
            dir, "{model.safetensors,model-*-of-*.safetensors," + INDEX + "}")) {
      for (Path p : ds) {
        if (!keep.contains(p.getFileName().toString())) {
          Files.delete(p);
        }
      }
    }
  }
}
