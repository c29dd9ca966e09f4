package dev.d2o.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A byte-level BPE tokenizer in GPT-2's scheme (Radford et al. 2019): every byte is a token, so any
 * text encodes, and merges learned from a corpus shorten common words. Writes a {@code
 * tokenizer.json} that the Hugging Face tokenizers library (and so DJL and transformers) loads.
 * Used for the project's own tiny models and tests.
 */
public final class ByteLevelBpe {
  /**
   * GPT-2's pre-tokenizer pattern (the one the tokenizers library's ByteLevel pre-tokenizer
   * applies).
   */
  private static final Pattern GPT2_SPLIT =
      Pattern.compile(
          "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<String[]> merges;
  private final List<String> specialTokens;

  private ByteLevelBpe(List<String[]> merges, List<String> specialTokens) {
    this.merges = merges;
    this.specialTokens = specialTokens;
  }

  /** Only the 256 byte tokens plus {@code specialTokens} (ids 256, 257, ...). */
  public static ByteLevelBpe bytesOnly(List<String> specialTokens) {
    return new ByteLevelBpe(List.of(), specialTokens);
  }

  /**
   * A tokenizer of exactly {@code vocabSize} tokens for a model of that vocabulary when no real
   * tokenizer can be had (random models of real shapes): the 256 bytes, synthetic merges, then
   * {@code specialTokens}. The merges join the symbols of a 64-character alphabet (the space marker
   * Ġ, letters, digits, '.' and ',') pairwise, then those pairs with one more symbol, and so on in
   * order, so text of letters and digits tokenizes into multi-byte tokens and every token id below
   * the vocabulary size exists.
   */
  public static ByteLevelBpe synthetic(int vocabSize, List<String> specialTokens) {
    int needed = vocabSize - 256 - specialTokens.size();
    if (needed < 0) {
      throw new IllegalArgumentException(
          "a vocabulary of "
              + vocabSize
              + " cannot hold 256 bytes and "
              + specialTokens.size()
              + " special tokens");
    }
    List<String> alphabet = new ArrayList<>();
    alphabet.add(String.valueOf(BYTE_TO_CHAR[' ']));
    for (char c :
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,".toCharArray()) {
      alphabet.add(String.valueOf(c));
    }
    List<String[]> merges = new ArrayList<>(needed);
    java.util.Set<String> seen = new java.util.HashSet<>(alphabet);
    List<String> level = alphabet;
    while (merges.size() < needed) {
      List<String> next = new ArrayList<>();
      for (String left : level) {
        for (String right : alphabet) {
          if (merges.size() == needed) {
            break;
          }
          if (seen.add(left + right)) {
            merges.add(new String[] {left, right});
            next.add(left + right);
          }
        }
      }
      level = next;
    }
    return new ByteLevelBpe(merges, specialTokens);
  }

  /**
   * Learns up to {@code numMerges} merges from {@code corpus} (most frequent adjacent pair first,
   * ties by order).
   */
  public static ByteLevelBpe train(
      Iterable<String> corpus, int numMerges, List<String> specialTokens) {
    Map<List<String>, Integer> words = new HashMap<>();
    for (String text : corpus) {
      Matcher m = GPT2_SPLIT.matcher(text);
      while (m.find()) {
        List<String> symbols = new ArrayList<>();
        for (byte b : m.group().getBytes(StandardCharsets.UTF_8)) {
          symbols.add(String.valueOf(BYTE_TO_CHAR[b & 0xff]));
        }
        words.merge(symbols, 1, Integer::sum);
      }
    }
    List<String[]> merges = new ArrayList<>();
    Map<List<String>, Integer> current = new LinkedHashMap<>(words);
    for (int step = 0; step < numMerges; step++) {
      Map<String, Integer> pairs = new HashMap<>();
      String best = null;
      int bestCount = 1; // a pair seen once is not worth a token
      for (Map.Entry<List<String>, Integer> w : current.entrySet()) {
        List<String> s = w.getKey();
        for (int i = 0; i + 1 < s.size(); i++) {
          String key = s.get(i) + " " + s.get(i + 1);
          int c = pairs.merge(key, w.getValue(), Integer::sum);
          if (c > bestCount || (c == bestCount && best != null && key.compareTo(best) < 0)) {
            best = key;
            bestCount = c;
          }
        }
      }
      if (best == null) {
        break;
      }
      String[] pair = best.split(" ", 2);
      merges.add(pair);
      Map<List<String>, Integer> next = new LinkedHashMap<>();
      for (Map.Entry<List<String>, Integer> w : current.entrySet()) {
        next.merge(apply(w.getKey(), pair), w.getValue(), Integer::sum);
      }
      current = next;
    }
    return new ByteLevelBpe(merges, specialTokens);
  }

  private static List<String> apply(List<String> s, String[] pair) {
    List<String> out = new ArrayList<>(s.size());
    for (int i = 0; i < s.size(); i++) {
      if (i + 1 < s.size() && s.get(i).equals(pair[0]) && s.get(i + 1).equals(pair[1])) {
        out.add(pair[0] + pair[1]);
        i++;
      } else {
        out.add(s.get(i));
      }
    }
    return out;
  }

  /** Vocabulary size: 256 bytes + merges + special tokens. */
  public int vocabSize() {
    return 256 + merges.size() + specialTokens.size();
  }

  /** Writes {@code tokenizer.json} to {@code file}. */
  public void write(Path file) throws IOException {
    ObjectNode root = JSON.createObjectNode();
    root.put("version", "1.0");
    root.putNull("truncation");
    root.putNull("padding");
    ArrayNode added = root.putArray("added_tokens");
    ObjectNode vocab = JSON.createObjectNode();
    for (int b = 0; b < 256; b++) {
      vocab.put(String.valueOf(BYTE_TO_CHAR[b]), b);
    }
    ArrayNode mergeList = JSON.createArrayNode();
    int id = 256;
    for (String[] m : merges) {
      vocab.put(m[0] + m[1], id++);
      mergeList.add(m[0] + " " + m[1]);
    }
    for (String special : specialTokens) {
      ObjectNode t = added.addObject();
      t.put("id", id++);
      t.put("content", special);
      t.put("single_word", false);
      t.put("lstrip", false);
      t.put("rstrip", false);
      t.put("normalized", false);
      t.put("special", true);
    }
    root.putNull("normalizer");
    root.set("pre_tokenizer", byteLevel(false));
    root.set("post_processor", byteLevel(true));
    root.set("decoder", byteLevel(true));
    ObjectNode model = root.putObject("model");
    model.put("type", "BPE");
    model.putNull("dropout");
    model.putNull("unk_token");
    model.put("continuing_subword_prefix", "");
    model.put("end_of_word_suffix", "");
    model.put("fuse_unk", false);
    model.put("byte_fallback", false);
    model.set("vocab", vocab);
    model.set("merges", mergeList);
    Pretrained.writeAtomically(
        file, os -> JSON.writerWithDefaultPrettyPrinter().writeValue(os, root));
  }

  private static ObjectNode byteLevel(boolean addPrefixSpace) {
    ObjectNode n = JSON.createObjectNode();
    n.put("type", "ByteLevel");
    n.put("add_prefix_space", addPrefixSpace);
    n.put("trim_offsets", true);
    n.put("use_regex", true);
    return n;
  }

  /**
   * GPT-2's reversible byte → printable-character map ({@code bytes_to_unicode} in openai/gpt-2's
   * encoder.py).
   */
  private static final char[] BYTE_TO_CHAR = new char[256];

  static {
    int extra = 0;
    for (int b = 0; b < 256; b++) {
      boolean printable =
          (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      BYTE_TO_CHAR[b] = printable ? (char) b : (char) (256 + extra++);
    }
  }
}
