package dev.d2o.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.error.InputException;
import java.io.BufferedInputStream;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;

/**
 * JSON Lines input and output for the command-line tools: strict UTF-8, line numbers in errors,
 * atomic output.
 */
public final class Jsonl {
  static final ObjectMapper JSON = new ObjectMapper();

  /** One parsed input line. */
  public record Line(int number, ObjectNode node) {}

  private Jsonl() {}

  /**
   * Reads every non-blank line of {@code file} as a JSON object; fails on the first bad line,
   * naming it.
   */
  public static List<Line> read(Path file) {
    List<Line> out = new ArrayList<>();
    int n = 0;
    // Lines are split on raw bytes and decoded one by one, so an encoding error names its own line.
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      int c;
      boolean more = true;
      while (more) {
        c = in.read();
        if (c != -1 && c != '\n') {
          buf.write(c);
          continue;
        }
        more = c != -1;
        if (!more && buf.size() == 0) {
          break;
        }
        n++;
        parseLine(file, n, buf.toByteArray(), out);
        buf.reset();
      }
    } catch (NoSuchFileException e) {
      throw new InputException("input file not found: " + file);
    } catch (IOException e) {
      throw new InputException("cannot read " + file + ": " + e.getMessage(), e);
    }
    return out;
  }

  private static void parseLine(Path file, int n, byte[] bytes, List<Line> out) {
    String line;
    try {
      line =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      throw new InputException(file + " line " + n + ": invalid UTF-8 (" + e.getMessage() + ")");
    }
    if (line.isBlank()) {
      return;
    }
    JsonNode node;
    try {
      node = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new InputException(file + " line " + n + ": invalid JSON: " + e.getOriginalMessage());
    }
    if (node == null || !node.isObject()) {
      throw new InputException(
          file
              + " line "
              + n
              + ": expected a JSON object, found "
              + (node == null ? "nothing" : node.getNodeType().toString().toLowerCase()));
    }
    out.add(new Line(n, (ObjectNode) node));
  }

  /**
   * Writes {@code rows} to a temporary sibling of {@code file} and renames it, so no half-written
   * file remains.
   */
  public static void writeAtomically(Path file, List<? extends JsonNode> rows) {
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
    try {
      Files.createDirectories(abs.getParent());
      try (Writer w = new BufferedWriter(Files.newBufferedWriter(tmp, StandardCharsets.UTF_8))) {
        for (JsonNode row : rows) {
          w.write(JSON.writeValueAsString(row));
          w.write('\n');
        }
      }
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      try {
        Files.deleteIfExists(tmp);
      } catch (IOException ignored) {
        // best effort: the rename did not happen, so the target is untouched
      }
      throw new InputException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** A string field, or null when absent; fails when present with another type. */
  static String text(Line line, String key, Path file) {
    JsonNode v = line.node().get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      throw new InputException(
          file
              + " line "
              + line.number()
              + ": field '"
              + key
              + "' must be a string, found "
              + v.getNodeType().toString().toLowerCase());
    }
    return v.asText();
  }

  /** An integer-list field, or null when absent; fails when present with another type. */
  static int[] ids(Line line, String key, Path file) {
    JsonNode v = line.node().get(key);
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isArray()) {
      throw new InputException(
          file
              + " line "
              + line.number()
              + ": field '"
              + key
              + "' must be a list of token ids, found "
              + v.getNodeType().toString().toLowerCase());
    }
    int[] out = new int[v.size()];
    for (int i = 0; i < out.length; i++) {
      JsonNode x = v.get(i);
      if (!x.isIntegralNumber() || !x.canConvertToInt()) {
        throw new InputException(
            file
                + " line "
                + line.number()
                + ": field '"
                + key
                + "' element "
                + i
                + " is "
                + x
                + "; token ids are integers");
      }
      out[i] = x.asInt();
    }
    return out;
  }

  /** "line N (id X)" for error messages. */
  static String label(Line line) {
    JsonNode id = line.node().get("id");
    return "line " + line.number() + (id == null ? "" : " (id " + id + ")");
  }
}
