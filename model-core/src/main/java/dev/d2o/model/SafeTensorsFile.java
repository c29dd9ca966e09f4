package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A safetensors file opened for random access: the header is read and checked on open, each tensor
 * is read on demand with positioned reads. Nothing reads the whole file into one array, so shards
 * over 2 GiB load (DJL's {@code NDList.decode} cannot). Every size read from the file is bounded
 * before anything is allocated.
 *
 * <p>Format: <a href="https://github.com/huggingface/safetensors">huggingface/safetensors</a> — an
 * 8-byte little-endian header length N, N bytes of JSON, then the data section.
 */
public final class SafeTensorsFile implements Closeable {
  /** The format's own limit on the header (safetensors rejects larger headers too). */
  public static final long MAX_HEADER_BYTES = 100_000_000L;

  /** One tensor's header entry; offsets are relative to the data section. */
  public record Entry(String name, DType dtype, long[] shape, long begin, long end) {
    /** Number of elements. */
    public long numel() {
      long n = 1;
      for (long d : shape) {
        n = Math.multiplyExact(n, d);
      }
      return n;
    }
  }

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path path;
  private final FileChannel channel;
  private final long dataStart;
  private final Map<String, Entry> entries;
  private final Map<String, String> metadata;

  /** Reads every tensor of this file through the same staging buffers. */
  private final TensorLoader loader = new TensorLoader();

  private SafeTensorsFile(
      Path path,
      FileChannel channel,
      long dataStart,
      Map<String, Entry> entries,
      Map<String, String> metadata) {
    this.path = path;
    this.channel = channel;
    this.dataStart = dataStart;
    this.entries = entries;
    this.metadata = metadata;
  }

  /**
   * Opens and validates {@code path}; throws {@link ModelException} naming the file and the fault.
   */
  public static SafeTensorsFile open(Path path) {
    FileChannel ch;
    try {
      ch = FileChannel.open(path, StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new ModelException("safetensors file not found: " + path);
    } catch (IOException e) {
      throw new ModelException("cannot open safetensors file " + path + ": " + e.getMessage(), e);
    }
    try {
      return parse(path, ch);
    } catch (RuntimeException | IOException e) {
      closeQuietly(ch);
      if (e instanceof ModelException me) {
        throw me;
      }
      throw new ModelException("corrupt safetensors file " + path + ": " + e.getMessage(), e);
    }
  }

  private static SafeTensorsFile parse(Path path, FileChannel ch) throws IOException {
    long fileSize = ch.size();
    if (fileSize < 8) {
      throw new ModelException(
          "truncated safetensors file "
              + path
              + ": "
              + fileSize
              + " bytes, but the format starts with an 8-byte header length");
    }
    ByteBuffer lenBuf = readFully(ch, 0, 8).order(ByteOrder.LITTLE_ENDIAN);
    long headerLen = lenBuf.getLong();
    if (headerLen < 2 || headerLen > MAX_HEADER_BYTES) {
      throw new ModelException(
          "corrupt safetensors file "
              + path
              + ": header length "
              + headerLen
              + " is outside the allowed range [2, "
              + MAX_HEADER_BYTES
              + "]");
    }
    if (8 + headerLen > fileSize) {
      throw new ModelException(
          "truncated safetensors file "
              + path
              + ": the header claims "
              + headerLen
              + " bytes but the file has only "
              + (fileSize - 8)
              + " after the length field");
    }
    ByteBuffer headerBuf = readFully(ch, 8, (int) headerLen);
    JsonNode header;
    try {
      header = JSON.readTree(headerBuf.array());
    } catch (IOException e) {
      throw new ModelException(
          "corrupt safetensors file "
              + path
              + ": the header is not valid JSON ("
              + e.getMessage().lines().findFirst().orElse("")
              + ")");
    }
    if (header == null || !header.isObject()) {
      throw new ModelException(
          "corrupt safetensors file " + path + ": the header is not a JSON object");
    }
    long dataSize = fileSize - 8 - headerLen;
    Map<String, Entry> entries = new LinkedHashMap<>();
    Map<String, String> metadata = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      if (f.getKey().equals("__metadata__")) {
        f.getValue()
            .fields()
            .forEachRemaining(m -> metadata.put(m.getKey(), m.getValue().asText()));
        continue;
      }
      entries.put(f.getKey(), parseEntry(path, f.getKey(), f.getValue(), dataSize));
    }
    checkNoOverlap(path, entries);
    return new SafeTensorsFile(
        path,
        ch,
        8 + headerLen,
        Collections.unmodifiableMap(entries),
        Collections.unmodifiableMap(metadata));
  }

  private static Entry parseEntry(Path path, String name, JsonNode node, long dataSize) {
    String where = "safetensors file " + path + ", tensor '" + name + "'";
    if (!node.isObject()) {
      throw new ModelException("corrupt " + where + ": entry is not an object");
    }
    String dtypeName = node.path("dtype").asText(null);
    DType dtype = DType.parse(dtypeName);
    if (dtype == null) {
      throw new ModelException(
          "unknown dtype '"
              + dtypeName
              + "' in "
              + where
              + "; known dtypes: "
              + Arrays.toString(DType.values()));
    }
    JsonNode shapeNode = node.path("shape");
    JsonNode offs = node.path("data_offsets");
    if (!shapeNode.isArray() || !offs.isArray() || offs.size() != 2) {
      throw new ModelException(
          "corrupt " + where + ": needs a 'shape' array and two 'data_offsets'");
    }
    long[] shape = new long[shapeNode.size()];
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw new ModelException(
            "corrupt " + where + ": shape " + shapeNode + " has a bad dimension");
      }
      shape[i] = d.asLong();
    }
    if (!offs.get(0).isIntegralNumber()
        || !offs.get(1).isIntegralNumber()
        || !offs.get(0).canConvertToLong()
        || !offs.get(1).canConvertToLong()) { // a BigInteger would wrap around in asLong()
      throw new ModelException(
          "corrupt " + where + ": data_offsets " + offs + " are not 64-bit integers");
    }
    long begin = offs.get(0).asLong();
    long end = offs.get(1).asLong();
    if (begin < 0 || end < begin || end > dataSize) {
      throw new ModelException(
          "corrupt "
              + where
              + ": data_offsets ["
              + begin
              + ", "
              + end
              + "] lie outside the data section of "
              + dataSize
              + " bytes (truncated file or lying header)");
    }
    Entry e = new Entry(name, dtype, shape, begin, end);
    long expected;
    try {
      expected = Math.multiplyExact(e.numel(), dtype.bytes());
    } catch (ArithmeticException ex) {
      throw new ModelException(
          "corrupt " + where + ": shape " + Arrays.toString(shape) + " overflows");
    }
    if (expected != end - begin) {
      throw new ModelException(
          "corrupt "
              + where
              + ": shape "
              + Arrays.toString(shape)
              + " of dtype "
              + dtype
              + " needs "
              + expected
              + " bytes but data_offsets span "
              + (end - begin));
    }
    return e;
  }

  private static void checkNoOverlap(Path path, Map<String, Entry> entries) {
    List<Entry> sorted = new ArrayList<>(entries.values());
    sorted.sort(Comparator.comparingLong(Entry::begin));
    for (int i = 1; i < sorted.size(); i++) {
      Entry prev = sorted.get(i - 1);
      Entry cur = sorted.get(i);
      if (cur.begin() < prev.end()) {
        throw new ModelException(
            "corrupt safetensors file "
                + path
                + ": tensors '"
                + prev.name()
                + "' and '"
                + cur.name()
                + "' overlap");
      }
    }
  }

  /** The file this was opened from. */
  public Path path() {
    return path;
  }

  /** Header entries in header order. */
  public Map<String, Entry> entries() {
    return entries;
  }

  /** The {@code __metadata__} map (empty when absent). */
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Reads tensor {@code name} converted to F32, as a new array owned by {@code manager}. */
  public NDArray loadF32(String name, NDManager manager) {
    return load(name, WeightType.FLOAT32, manager);
  }

  /**
   * Reads tensor {@code name} converted to {@code type} (in blocks, so any size that fits in memory
   * loads), as a new array owned by {@code manager}.
   */
  public NDArray load(String name, WeightType type, NDManager manager) {
    Entry e = entries.get(name);
    if (e == null) {
      throw new ModelException("tensor '" + name + "' is not in " + path);
    }
    return loader.load(this, e, type, manager);
  }

  /**
   * Fills {@code dst} (up to its limit) with the bytes of {@code e} from byte {@code offset} of the
   * tensor on.
   */
  public void read(Entry e, long offset, ByteBuffer dst) {
    if (offset < 0 || offset + dst.remaining() > e.end() - e.begin()) {
      throw new IllegalArgumentException(
          "bytes [" + offset + ", " + (offset + dst.remaining()) + ") outside tensor " + e.name());
    }
    try {
      long position = dataStart + e.begin() + offset;
      while (dst.hasRemaining()) {
        int n = channel.read(dst, position);
        if (n < 0) {
          throw new IOException("unexpected end of file at byte " + position);
        }
        position += n;
      }
    } catch (IOException ex) {
      throw new ModelException(
          "cannot read tensor '" + e.name() + "' from " + path + ": " + ex.getMessage(), ex);
    }
  }

  private static ByteBuffer readFully(FileChannel ch, long position, int length)
      throws IOException {
    ByteBuffer buf = ByteBuffer.allocate(length);
    while (buf.hasRemaining()) {
      int n = ch.read(buf, position + buf.position());
      if (n < 0) {
        throw new IOException("unexpected end of file at byte " + (position + buf.position()));
      }
    }
    buf.flip();
    return buf;
  }

  private static void closeQuietly(Closeable c) {
    try {
      c.close();
    } catch (IOException ignored) {
      // nothing to do: the file was only read
    }
  }

  @Override
  public void close() {
    closeQuietly(channel);
  }
}
