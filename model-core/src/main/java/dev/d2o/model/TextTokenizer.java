package dev.d2o.model;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A Hugging Face {@code tokenizer.json} (through DJL's binding of the tokenizers library) with the
 * model's special tokens. Text is encoded without the tokenizer's own special tokens; {@link
 * #bosTokenId()} and {@link #eosTokenId()} are added explicitly by the callers, where the model's
 * files say so.
 */
public final class TextTokenizer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HuggingFaceTokenizer tokenizer;
  private final Path file;
  private final int bosTokenId;
  private final int eosTokenId;
  private final boolean addBos;

  private TextTokenizer(
      HuggingFaceTokenizer tokenizer, Path file, int bos, int eos, boolean addBos) {
    this.tokenizer = tokenizer;
    this.file = file;
    this.bosTokenId = bos;
    this.eosTokenId = eos;
    this.addBos = addBos;
  }

  /**
   * Loads {@code dir/tokenizer.json}; special tokens come from {@code generation_config.json}, then
   * {@code config.json}, then {@code tokenizer_config.json} (token strings looked up in the
   * vocabulary).
   */
  public static TextTokenizer load(Path dir, ModelConfig config) {
    Path file = dir.resolve("tokenizer.json");
    if (!Files.isRegularFile(file)) {
      throw new ModelException(
          "missing tokenizer.json in model directory "
              + dir
              + " (needed to encode text; token-id input needs no tokenizer)");
    }
    HuggingFaceTokenizer tok;
    try {
      tok =
          HuggingFaceTokenizer.newInstance(
              file,
              Map.of(
                  "addSpecialTokens",
                  "false",
                  "truncation",
                  "false",
                  "padding",
                  "false",
                  "modelMaxLength",
                  String.valueOf(Integer.MAX_VALUE)));
    } catch (IOException | RuntimeException e) {
      throw new ModelException("cannot load tokenizer " + file + ": " + e.getMessage(), e);
    }
    JsonNode gen = readOptional(dir.resolve("generation_config.json"));
    JsonNode tc = readOptional(dir.resolve("tokenizer_config.json"));
    int bos = firstId(gen, "bos_token_id", config.bosTokenId());
    int eos =
        firstId(
            gen, "eos_token_id", config.eosTokenIds().isEmpty() ? -1 : config.eosTokenIds().get(0));
    if (bos < 0) {
      bos = tokenId(tok, tc, "bos_token");
    }
    if (eos < 0) {
      eos = tokenId(tok, tc, "eos_token");
    }
    boolean addBos;
    if (tc != null && tc.has("add_bos_token")) {
      addBos = tc.get("add_bos_token").asBoolean();
    } else {
      // the default of the family's tokenizer class: LlamaTokenizer and GemmaTokenizer add BOS,
      // GPT-2's and Qwen's none
      addBos = config.family().addsBosByDefault() && bos >= 0;
    }
    return new TextTokenizer(tok, file, bos, eos, addBos);
  }

  private static JsonNode readOptional(Path p) {
    if (!Files.isRegularFile(p)) {
      return null;
    }
    try {
      return JSON.readTree(p.toFile());
    } catch (IOException e) {
      throw new ModelException("cannot parse " + p + ": " + e.getMessage(), e);
    }
  }

  private static int firstId(JsonNode node, String key, int fallback) {
    if (node == null || !node.hasNonNull(key)) {
      return fallback;
    }
    JsonNode v = node.get(key);
    return v.isArray() ? (v.size() > 0 ? v.get(0).asInt() : fallback) : v.asInt(fallback);
  }

  private static int tokenId(HuggingFaceTokenizer tok, JsonNode tc, String key) {
    if (tc == null || !tc.hasNonNull(key)) {
      return -1;
    }
    JsonNode v = tc.get(key);
    String token = v.isTextual() ? v.asText() : v.path("content").asText(null);
    if (token == null) {
      return -1;
    }
    long[] ids = tok.encode(token, false, false).getIds();
    return ids.length == 1 ? (int) ids[0] : -1;
  }

  /** Token ids of {@code text}, without special tokens. */
  public int[] encode(String text) {
    long[] ids = tokenizer.encode(text, false, false).getIds();
    int[] out = new int[ids.length];
    for (int i = 0; i < ids.length; i++) {
      out[i] = Math.toIntExact(ids[i]);
    }
    return out;
  }

  /** Text of {@code ids}, special tokens skipped. */
  public String decode(int[] ids) {
    long[] l = new long[ids.length];
    for (int i = 0; i < ids.length; i++) {
      l[i] = ids[i];
    }
    return tokenizer.decode(l, true);
  }

  /**
   * Size of the vocabulary including added tokens (the largest id + 1 the tokenizer can produce).
   */
  public int vocabularySize() {
    try {
      JsonNode root = JSON.readTree(file.toFile());
      int max = -1;
      for (JsonNode v : root.path("model").path("vocab")) {
        max = Math.max(max, v.asInt());
      }
      for (JsonNode t : root.path("added_tokens")) {
        max = Math.max(max, t.path("id").asInt());
      }
      return max + 1;
    } catch (IOException e) {
      throw new ModelException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The beginning-of-sequence id, -1 when the model has none. */
  public int bosTokenId() {
    return bosTokenId;
  }

  /** The end-of-sequence id, -1 when the model has none. */
  public int eosTokenId() {
    return eosTokenId;
  }

  /** Whether prompts start with BOS (from {@code add_bos_token}, or the family's convention). */
  public boolean addsBos() {
    return addBos;
  }

  /** The {@code tokenizer.json} file. */
  public Path file() {
    return file;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
