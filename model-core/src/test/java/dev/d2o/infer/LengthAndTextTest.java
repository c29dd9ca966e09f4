package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.ModelException;
import dev.d2o.model.Pretrained;
import dev.d2o.model.TextTokenizer;
import dev.d2o.testing.TinyModels;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Text front end (BOS/EOS, separate tokenization), context-length policies and token-id checks. */
class LengthAndTextTest {
  @TempDir Path tmp;

  @Test
  void promptAndResponseAreTokenizedSeparatelyWithBosAndEos() {
    Path dir = TinyModels.writeRandom(TinyModels.llama(), 1, tmp.resolve("llama"));
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(dir, m)) {
      TextTokenizer tok = p.tokenizer();
      ScoreRequest r = TextPairs.encode(tok, "row", "ab", "c", true);
      // byte-level tokens are the bytes; Llama prepends BOS (257), the response ends with EOS (256)
      assertArrayEquals(new int[] {TinyModels.BOS, 'a', 'b'}, r.promptIds());
      assertArrayEquals(new int[] {'c', TinyModels.EOS}, r.responseIds());
      assertEquals("abc", tok.decode(new int[] {'a', 'b', 'c', TinyModels.EOS}));
      ScoreRequest noEos = TextPairs.encode(tok, "row", "ab", "c", false);
      assertArrayEquals(new int[] {'c'}, noEos.responseIds());
    }
  }

  @Test
  void gpt2AddsNoBos() {
    Path dir = TinyModels.writeRandom(TinyModels.gpt2(), 1, tmp.resolve("gpt2"));
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(dir, m)) {
      assertArrayEquals(new int[] {'h', 'i'}, TextPairs.promptIds(p.tokenizer(), "hi"));
    }
  }

  @Test
  void overLongSequenceFailsNamingRowAndLengthsOrTruncatesThePromptLeft() {
    ScoreRequest r = new ScoreRequest("line 7", new int[] {1, 2, 3, 4, 5, 6}, new int[] {7, 8, 9});
    ModelException e = assertThrows(ModelException.class, () -> LengthPolicy.FAIL.apply(r, 8));
    assertEquals(
        "row line 7: prompt of 6 tokens + response of 3 tokens = 9 exceeds the model's context of 8"
            + " positions (length policy 'fail'; 'truncate-prompt-left' keeps the end of the prompt)",
        e.getMessage());
    ScoreRequest t = LengthPolicy.TRUNCATE_PROMPT_LEFT.apply(r, 8);
    assertArrayEquals(new int[] {2, 3, 4, 5, 6}, t.promptIds());
    assertArrayEquals(new int[] {7, 8, 9}, t.responseIds());
    assertThrows(ModelException.class, () -> LengthPolicy.TRUNCATE_PROMPT_LEFT.apply(r, 3));
  }

  @Test
  void truncatedRowScoresLikeItsTail() {
    try (NDManager m = NDManager.newBaseManager();
        var model = dev.d2o.model.CausalLM.random(TinyModels.gpt2(), 5, m)) {
      int[] longPrompt = new int[70];
      for (int i = 0; i < 70; i++) {
        longPrompt[i] = i;
      }
      ScoreRequest r = new ScoreRequest("x", longPrompt, new int[] {1, 2});
      ScoreResult cut =
          new SequenceScorer(model, 2, LengthPolicy.TRUNCATE_PROMPT_LEFT).score(List.of(r)).get(0);
      int[] tail = java.util.Arrays.copyOfRange(longPrompt, 8, 70); // 62 + 2 = 64 positions
      ScoreResult ref =
          new SequenceScorer(model, 2, LengthPolicy.FAIL)
              .score(List.of(new ScoreRequest("y", tail, new int[] {1, 2})))
              .get(0);
      assertEquals(ref.logp(), cut.logp(), 1e-6);
    }
  }

  @Test
  void tokenIdOutsideTheVocabularyNamesTheRow() {
    try (NDManager m = NDManager.newBaseManager();
        var model = dev.d2o.model.CausalLM.random(TinyModels.gpt2(), 5, m)) {
      SequenceScorer s = new SequenceScorer(model, 2, LengthPolicy.FAIL);
      ModelException e =
          assertThrows(
              ModelException.class,
              () ->
                  s.score(
                      List.of(
                          new ScoreRequest("line 1", new int[] {1}, new int[] {2}),
                          new ScoreRequest(
                              "line 2 (id \"q\")", new int[] {1}, new int[] {3, 260}))));
      assertEquals(
          "row line 2 (id \"q\"): response token id 260 at index 1 is outside the model's vocabulary"
              + " [0, 260)",
          e.getMessage());
    }
  }

  @Test
  void emptyPromptIsRefused() {
    try (NDManager m = NDManager.newBaseManager();
        var model = dev.d2o.model.CausalLM.random(TinyModels.gpt2(), 5, m)) {
      SequenceScorer s = new SequenceScorer(model, 2, LengthPolicy.FAIL);
      ModelException e =
          assertThrows(
              ModelException.class,
              () -> s.score(List.of(new ScoreRequest("line 4", new int[0], new int[] {2}))));
      assertEquals(
          "row line 4: the prompt has no tokens, so the first response token has no context; give a"
              + " prompt or let the model's BOS be prepended",
          e.getMessage());
    }
  }
}
