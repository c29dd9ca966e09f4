package dev.d2o.datagen;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.d2o.datagen.HarmlessData.Table;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files under data-samples/ are what {@code d2o make-data --seed 0} makes, and the tokenizer
 * works on them.
 */
class CommittedDataTest {
  static final Path SAMPLES = Path.of("..", "data-samples");
  static HarmlessData data;

  @BeforeAll
  static void generate() {
    data =
        new HarmlessGenerator(TopicBook.builtIn()).generate(HarmlessGenerator.Options.defaults(0));
  }

  @Test
  void committedJsonlIsByteIdenticalToSeedZero(@TempDir Path tmp) throws Exception {
    for (Table t : data.tables()) {
      Path fresh = tmp.resolve(t.name() + ".jsonl");
      DataFiles.writeJsonl(t, fresh);
      Path committed = SAMPLES.resolve("harmless").resolve(t.name() + ".jsonl");
      assertArrayEquals(
          Files.readAllBytes(committed), Files.readAllBytes(fresh), committed + " is stale");
    }
  }

  @Test
  void tokenizerIsRebuiltIdenticallyAndRoundTripsText(@TempDir Path tmp) throws Exception {
    CorpusTokenizer.Stats stats = CorpusTokenizer.build(data, 800, tmp);
    assertEquals(256 + 800 + 2, stats.vocabSize());
    Path committed = SAMPLES.resolve("tokenizer").resolve("tokenizer.json");
    assertArrayEquals(
        Files.readAllBytes(committed), Files.readAllBytes(tmp.resolve("tokenizer.json")));
    // bytes/token measured by the Hugging Face library: merges learned on this corpus compress it
    // well
    assertTrue(stats.bytesPerToken() > 3.0, "bytes/token " + stats.bytesPerToken());
    try (HuggingFaceTokenizer tok =
        HuggingFaceTokenizer.newInstance(
            committed,
            Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false"))) {
      List<String> samples =
          List.of(
              data.eval().get(0).prompt(),
              data.eval().get(0).negative(),
              data.sft().get(7).response(),
              "Unseen words: naïve café, 😀 and    spaces\n\ttabs.");
      for (String s : samples) {
        long[] ids = tok.encode(s, false, false).getIds();
        assertEquals(s, tok.decode(ids, false), "round trip");
        assertTrue(
            ids.length < s.getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                || s.contains("😀"));
      }
      assertArrayEquals(new long[] {1056}, tok.encode("<|endoftext|>", false, false).getIds());
      assertArrayEquals(new long[] {1057}, tok.encode("<s>", false, false).getIds());
      // a frequent word of the corpus is one token, with GPT-2's leading-space convention
      assertEquals(1, tok.encode(" password", false, false).getIds().length);
    }
  }
}
