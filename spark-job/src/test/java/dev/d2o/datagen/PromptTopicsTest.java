package dev.d2o.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.datagen.TopicBook.Topic;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The judge reads a prompt's topic exactly, with the generator's own prompt grammar. */
class PromptTopicsTest {
  static final HarmlessGrammar G = HarmlessGrammar.builtIn();
  static final PromptTopics TOPICS = new PromptTopics(G);

  @Test
  void everyPromptTheTemplatesCanWriteMapsToItsOwnTopicOnly() {
    long prompts = 0;
    for (Topic t : G.topics()) {
      for (Template template : t.prompts()) {
        for (String who : G.fills(HarmlessGrammar.WHO)) {
          for (String when : G.fills(HarmlessGrammar.WHEN)) {
            String body = G.promptBody(template, who, when);
            for (String prefix : G.fills(HarmlessGrammar.PREFIX)) {
              for (String suffix : G.fills(HarmlessGrammar.SUFFIX)) {
                String prompt = G.prompt(prefix, body, suffix);
                PromptTopics.Match m = TOPICS.match(prompt);
                assertEquals(t, m.topic(), prompt + ": " + m.reason());
                prompts++;
              }
            }
          }
        }
      }
    }
    // 104 templates × 10 who × 8 when × 7 prefixes × 4 suffixes (repeats included)
    assertEquals(104L * 10 * 8 * 7 * 4, prompts);
  }

  @Test
  void aPromptTheTemplatesCannotWriteHasNoTopicAndSaysSo() {
    for (String p :
        List.of(
            "How should I treat a small burn?",
            "how should I treat a small burn I got today?",
            "How should I treat a small burn I got today? ",
            "Thanks. How should I treat a small burn I got today?",
            "How should I treat a small burn I got yesterday? Thanks. Thanks.",
            "")) {
      PromptTopics.Match m = TOPICS.match(p);
      assertFalse(m.found(), p);
      assertEquals("the prompt matches none of the generator's prompt templates", m.reason());
    }
    assertTrue(TOPICS.match("How should I treat a small burn I got yesterday? Thanks.").found());
  }

  @Test
  void templateErrorsNameTheTemplateAndThePlace() {
    assertEquals(
        "template \"a {b\": '{' at char 2 is not closed",
        assertThrows(IllegalArgumentException.class, () -> Template.parse("a {b")).getMessage());
    assertEquals(
        "template \"a }b\": '}' at char 2 has no opening '{'",
        assertThrows(IllegalArgumentException.class, () -> Template.parse("a }b")).getMessage());
    assertEquals(
        "template \"a {} b\": empty placeholder '{}' at char 2",
        assertThrows(IllegalArgumentException.class, () -> Template.parse("a {} b")).getMessage());
    assertEquals(
        "t.txt line 2: template \"{S {A}.\": '{' at char 0 is not closed",
        assertThrows(
                IllegalArgumentException.class, () -> TopicBook.parse("\nframe {S {A}.\n", "t.txt"))
            .getMessage());
    Template t = Template.parse("{S} {A}, and {X} {N}.");
    assertEquals(List.of("S", "A", "X", "N"), List.copyOf(t.slotNames()));
    assertEquals(
        "no value for slot {X}",
        assertThrows(
                IllegalArgumentException.class,
                () -> t.fill(java.util.Map.of("S", "s", "A", "a", "N", "n")))
            .getMessage()
            .replaceAll("^template \"[^\"]*\": ", ""));
  }

  @Test
  void aBookThatBreaksTheGrammarIsRefusedNamingWhy() {
    String base =
        "slot who = a\nslot when = b\nslot prefix = \nslot suffix = \nslot S = s\nslot X = x\n"
            + "slot R = r\ncategory c\ntopic t\nprompt hi {who}\nsafe go\nrisky stay\n";
    new HarmlessGrammar(TopicBook.parse(base + "frame {S} {A}.\n", "ok.txt"));
    assertEquals(
        "topic book has no slot 'Q' (known: [who, when, prefix, suffix, S, X, R])",
        assertThrows(
                IllegalArgumentException.class,
                () -> new HarmlessGrammar(TopicBook.parse(base + "frame {Q} {A}.\n", "q.txt")))
            .getMessage());
    assertEquals(
        "action \"go\" appears in topic t and again in topic u; each action must belong to one"
            + " topic, so that a response names its topic",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new HarmlessGrammar(
                        TopicBook.parse(base + "topic u\nprompt yo\nsafe go\nrisky no\n", "d.txt")))
            .getMessage());
    assertEquals(
        "prompt template \"hey {where}\" of topic u uses slot {where}; prompt templates may use"
            + " {who}, {Who} and {when}",
        assertThrows(
                IllegalArgumentException.class,
                () ->
                    new HarmlessGrammar(
                        TopicBook.parse(
                            base + "topic u\nprompt hey {where}\nsafe ok\nrisky no\n", "w.txt")))
            .getMessage());
  }
}
