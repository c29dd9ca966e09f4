package dev.d2o.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.datagen.HarmlessData.LabeledRow;
import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.HarmlessData.SftRow;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HarmlessGeneratorTest {
  static HarmlessData data;

  @BeforeAll
  static void generate() {
    data =
        new HarmlessGenerator(TopicBook.builtIn()).generate(HarmlessGenerator.Options.defaults(0));
  }

  @Test
  void sameSeedGivesIdenticalRowsAndAnotherSeedDoesNot() {
    HarmlessData again =
        new HarmlessGenerator(TopicBook.builtIn()).generate(HarmlessGenerator.Options.defaults(0));
    assertEquals(data, again);
    HarmlessData other =
        new HarmlessGenerator(TopicBook.builtIn()).generate(HarmlessGenerator.Options.defaults(1));
    assertNotEquals(data.train(), other.train());
  }

  @Test
  void splitSizesAndNoPromptSharedBetweenTrainAndEval() {
    assertEquals(3000, data.train().size());
    assertEquals(300, data.eval().size());
    assertEquals(3000, data.sft().size());
    assertEquals(3000, data.costTrain().size());
    assertEquals(600, data.costTest().size());
    Set<String> train = data.train().stream().map(PromptRow::prompt).collect(Collectors.toSet());
    assertEquals(3000, train.size(), "train prompts are distinct");
    for (PromptRow e : data.eval()) {
      assertTrue(!train.contains(e.prompt()), "eval prompt also in train: " + e.prompt());
    }
    // the cost model's held-out rows sit on eval prompts only
    Set<String> eval = data.eval().stream().map(PromptRow::prompt).collect(Collectors.toSet());
    assertTrue(data.costTest().stream().allMatch(r -> eval.contains(r.prompt())));
  }

  @Test
  void everyCategoryAppearsAndTextsAreShort() {
    Set<String> categories =
        data.train().stream().map(PromptRow::category).collect(Collectors.toSet());
    assertEquals(TopicBook.builtIn().categories().keySet(), categories);
    for (PromptRow r : data.train()) {
      assertWords(r.prompt(), 5, HarmlessGenerator.MAX_PROMPT_WORDS);
      assertWords(r.helpful(), 5, HarmlessGenerator.MAX_RESPONSE_WORDS);
      assertWords(r.negative(), 5, HarmlessGenerator.MAX_RESPONSE_WORDS);
      assertNotEquals(r.helpful(), r.negative());
    }
  }

  private static void assertWords(String text, int min, int max) {
    int n = text.split("\\s+").length;
    assertTrue(n >= min && n <= max, n + " words in: " + text);
  }

  @Test
  void sftMixesBothClassesAtTheRequestedShare() {
    assertEquals(1350, data.sft().stream().mapToInt(SftRow::label).sum());
    assertEquals(0.45, data.sftHarmfulShare(), 1e-12);
    // the SFT responses are fresh draws, not the D2O negatives
    long same = 0;
    for (int i = 0; i < data.sft().size(); i++) {
      String r = data.sft().get(i).response();
      same +=
          r.equals(data.train().get(i).negative()) || r.equals(data.train().get(i).helpful())
              ? 1
              : 0;
    }
    assertTrue(same < 300, same + " SFT responses copy the train split's responses");
  }

  @Test
  void sftCorpusDrawsFreshResponsesPerPromptAtTheExactShare() {
    HarmlessGenerator g = new HarmlessGenerator(TopicBook.builtIn());
    Map<String, TopicBook.Topic> topics = new HashMap<>();
    HarmlessGrammar.builtIn().topics().forEach(t -> topics.put(t.name(), t));
    List<HarmlessGenerator.TopicPrompt> prompts = new ArrayList<>();
    for (PromptRow r : data.train().subList(0, 100)) {
      prompts.add(new HarmlessGenerator.TopicPrompt(topics.get(r.topic()), r.prompt()));
    }
    List<SftRow> rows = g.sftCorpus("sft", prompts, 3, 0.45, 0);
    assertEquals(rows, g.sftCorpus("sft", prompts, 3, 0.45, 0), "deterministic");
    assertEquals(300, rows.size());
    assertEquals(135, rows.stream().mapToInt(SftRow::label).sum());
    Set<String> responses = new HashSet<>();
    for (int i = 0; i < rows.size(); i++) {
      SftRow r = rows.get(i);
      assertEquals(String.format("sft-%05d", i), r.id());
      assertEquals(prompts.get(i % 100).prompt(), r.prompt(), "rows go in rounds over the prompts");
      JudgeLabel expected = r.label() == 1 ? JudgeLabel.HARMFUL : JudgeLabel.HELPFUL;
      assertEquals(expected, Judge.builtIn().label(r.prompt(), r.response()).label(), r.response());
      responses.add(r.prompt() + "\n" + r.response());
    }
    assertTrue(responses.size() > 290, "fresh draws: " + responses.size() + " distinct of 300");
    assertEquals(
        "need perPrompt ≥ 1 and harmfulShare in [0, 1]; got perPrompt=0 harmfulShare=0.45",
        assertThrows(IllegalArgumentException.class, () -> g.sftCorpus("sft", prompts, 0, 0.45, 0))
            .getMessage());
  }

  @Test
  void noSingleWordGivesTheClassAway() {
    List<WordCue.Labeled> texts =
        Stream.concat(data.costTrain().stream(), data.costTest().stream())
            .map(r -> new WordCue.Labeled(r.text(), r.label()))
            .toList();
    WordCue cue = WordCue.strongest(texts, 0.01);
    System.out.println(
        "most class-predictive words: " + WordCue.ranking(texts, 0.01).subList(0, 25));
    assertTrue(cue.precision() < 0.85, "a single word predicts the class too well: " + cue);
    // and the check itself finds a planted keyword
    List<WordCue.Labeled> planted = new ArrayList<>(texts);
    planted.replaceAll(l -> l.label() == 1 ? new WordCue.Labeled(l.text() + " zzkey", 1) : l);
    WordCue found = WordCue.strongest(planted, 0.01);
    assertEquals("zzkey", found.word());
    assertEquals(1.0, found.precision());
  }

  @Test
  void distinctResponseTextsPerClassAreMany() {
    Set<String> harmful = new HashSet<>();
    Set<String> helpful = new HashSet<>();
    for (LabeledRow r : data.costTrain()) {
      (r.label() == 1 ? harmful : helpful).add(r.text());
    }
    assertTrue(
        harmful.size() > 1300 && helpful.size() > 1300, helpful.size() + " / " + harmful.size());
  }

  @Test
  void badOptionsAreRejectedWithTheirValues() {
    HarmlessGenerator g = new HarmlessGenerator(TopicBook.builtIn());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> g.generate(new HarmlessGenerator.Options(0, 10, 5, 11, 0.45)));
    assertEquals(
        "sizes must satisfy train ≥ 1, eval ≥ 1, 0 ≤ costTrain ≤ train; got train=10 eval=5 costTrain=11",
        e.getMessage());
    IllegalStateException tooMany =
        assertThrows(
            IllegalStateException.class,
            () -> g.generate(new HarmlessGenerator.Options(0, 200_000, 5, 0, 0.45)));
    assertTrue(
        tooMany.getMessage().startsWith("the topic book yields too few distinct prompts: found "),
        tooMany.getMessage());
  }

  @Test
  void topicBookErrorsNameTheLine() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> TopicBook.parse("# x\ncategory a\nprompt hi\n", "t.txt"));
    assertEquals("t.txt line 3: 'prompt' before any topic", e.getMessage());
    IllegalArgumentException k =
        assertThrows(IllegalArgumentException.class, () -> TopicBook.parse("promt hi\n", "t.txt"));
    assertEquals(
        "t.txt line 1: unknown line kind 'promt' (expected category, topic, prompt, safe, risky, frame or "
            + "slot)",
        k.getMessage());
  }
}
