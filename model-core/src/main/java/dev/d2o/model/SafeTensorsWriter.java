package dev.d2o.model;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Writes F32 tensors in the safetensors format, tensor by tensor to a stream (never the whole file
 * in memory). The header carries {@code "__metadata__": {"format": "pt"}}, which Hugging Face
 * transformers requires.
 */
public final class SafeTensorsWriter {
  private static final ObjectMapper JSON = new ObjectMapper();

  private SafeTensorsWriter() {}

  /**
   * Writes {@code tensors} (name → array, written in map order) and {@code metadata} to {@code
   * out}.
   */
  public static void write(
      OutputStream out, Map<String, NDArray> tensors, Map<String, String> metadata)
      throws IOException {
    ObjectNode header = JSON.createObjectNode();
    ObjectNode meta = header.putObject("__metadata__");
    meta.put("format", "pt");
    metadata.forEach(meta::put);
    long offset = 0;
    for (Map.Entry<String, NDArray> t : tensors.entrySet()) {
      long bytes = t.getValue().size() * 4;
      ObjectNode e = header.putObject(t.getKey());
      e.put("dtype", "F32");
      var shape = e.putArray("shape");
      for (long d : t.getValue().getShape().getShape()) {
        shape.add(d);
      }
      e.putArray("data_offsets").add(offset).add(offset + bytes);
      offset += bytes;
    }
    byte[] json = JSON.writeValueAsBytes(header);
    int padded =
        (json.length + 7) / 8 * 8; // the format pads the header with spaces to 8-byte alignment
    ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
    out.write(len.array());
    out.write(json);
    out.write(" ".repeat(padded - json.length).getBytes(StandardCharsets.US_ASCII));
    for (NDArray a : tensors.values()) {
      float[] data = a.toFloatArray();
      ByteBuffer buf = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
      buf.asFloatBuffer().put(data);
      out.write(buf.array());
    }
  }
}
