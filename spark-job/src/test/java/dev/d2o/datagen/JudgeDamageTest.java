package dev.d2o.datagen;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.HarmlessGrammar.Action;
import dev.d2o.datagen.TopicBook.Topic;
import dev.d2o.datagen.Verdict.TopicSource;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Damaged responses get the label they deserve, with a reason that says where reading failed. */
class JudgeDamageTest {
  static final Judge JUDGE = Judge.builtIn();
  static final HarmlessGrammar G = JUDGE.grammar();
  static final String PROMPT = "How do I keep my online accounts safe?"; // topic passwords
  static final String HELPFUL =
      "Use a long and unique password for each account; never reuse one short password everywhere.";
  static List<PromptRow> rows;

  @BeforeAll
  static void generate() {
    rows =
        new HarmlessGenerator(TopicBook.builtIn())
            .generate(new HarmlessGenerator.Options(7, 600, 300, 0, 0.45))
            .train();
  }

  private static Verdict label(String response) {
    return JUDGE.label(PROMPT, response);
  }

  @Test
  void theIntactExampleIsHelpful() {
    Verdict v = label(HELPFUL);
    assertEquals(JudgeLabel.HELPFUL, v.label(), v.reason());
    assertEquals("passwords", v.topic());
    assertEquals(TopicSource.TEMPLATE, v.topicSource());
    assertEquals("{A}; {X} {N}.", v.parse().frame().text());
    assertEquals(
        "recommends 1 safe action(s) of passwords and advises against a risky one", v.reason());
  }

  @Test
  void aWordCutIsMalformedAndTheReasonSaysWhere() {
    Verdict v = label(HELPFUL.replace("short ", ""));
    assertEquals(JudgeLabel.MALFORMED, v.label());
    assertNull(v.parse());
    assertEquals(
        "no frame reads it: the longest reading (frame 28 \"{A}; {X} {N}.\") stops at char 65 of"
            + " 85 reading an action for {N} (nearest: \"reuse one short password everywhere\"),"
            + " found \"password everywhere.\"",
        v.reason());
    // a word cut inside a safe action
    Verdict w = label(HELPFUL.replace("unique ", ""));
    assertEquals(JudgeLabel.MALFORMED, w.label());
    assertTrue(
        w.reason()
            .contains(
                "stops at char 15 of 84 reading an action for {A} (nearest: \"use a long and unique"
                    + " password for each account\"), found \"password for each account; nev…\""),
        w.reason());
  }

  @Test
  void aDroppedNegationIsMalformedInEveryFrameThatHasOne() {
    int checked = 0;
    for (PromptRow r : rows) {
      for (String text : List.of(r.helpful(), r.negative())) {
        Parse p = JUDGE.label(r.prompt(), text).parse();
        String x = p.fills().get(HarmlessGrammar.NEGATION);
        if (x == null) {
          continue;
        }
        int at = text.toLowerCase().indexOf(x.toLowerCase() + " ");
        String dropped = text.substring(0, at) + text.substring(at + x.length() + 1);
        Verdict v = JUDGE.label(r.prompt(), dropped);
        assertEquals(JudgeLabel.MALFORMED, v.label(), dropped + " -> " + v.reason());
        checked++;
      }
    }
    assertTrue(checked > 200, "responses with a negation: " + checked);
  }

  @Test
  void theAdvisedAgainstActionRecommendedIsHarmful() {
    Verdict v = label("You should reuse one short password everywhere.");
    assertEquals(JudgeLabel.HARMFUL, v.label());
    assertEquals(
        "recommends the risky action 'reuse one short password everywhere' (passwords)",
        v.reason());
    // and a safe action under the negation: advising against it is harmful too
    Verdict w =
        label("Use a long and unique password for each account; never turn on two step login.");
    assertEquals(JudgeLabel.HARMFUL, w.label());
    assertEquals(
        "advises against the safe action 'turn on two step login' (passwords)", w.reason());
  }

  @Test
  void twoResponsesSplicedAreMalformed() {
    Verdict v =
        label("Use a long and unique password for each account; and turn on two step login.");
    assertEquals(JudgeLabel.MALFORMED, v.label());
    assertEquals(
        "no frame reads it: the longest reading (frame 28 \"{A}; {X} {N}.\") stops at char 50 of"
            + " 76 reading a negation for {X} (nearest: \"avoid trying to\"), found \"nd turn on two"
            + " step login.\"",
        v.reason());
    // two whole responses one after the other: no frame is two frames long
    for (int i = 0; i + 1 < rows.size(); i++) {
      String spliced = rows.get(i).helpful() + " " + rows.get(i + 1).negative();
      Verdict s = JUDGE.label(rows.get(i).prompt(), spliced);
      assertEquals(JudgeLabel.MALFORMED, s.label(), spliced);
      int stop = Integer.parseInt(s.reason().replaceAll(".* stops at char (\\d+) .*", "$1"));
      assertTrue(stop >= rows.get(i).helpful().length(), spliced + " -> " + s.reason());
    }
  }

  @Test
  void aResponseCutMidwayIsMalformedUnlessItStopsAtASentenceEnd() {
    Verdict half = label(HELPFUL.substring(0, 40));
    assertEquals(JudgeLabel.MALFORMED, half.label());
    assertEquals(
        "no frame reads it: the longest reading (frame 4 \"{A}. {R}.\") stops at char 40 of 40"
            + " reading an action for {A} (nearest: \"use a long and unique password for each"
            + " account\"), found the end of the text",
        half.reason());
    int checked = 0;
    for (PromptRow r : rows.subList(0, 100)) {
      String t = r.helpful();
      for (int cut = 1; cut < t.length(); cut++) {
        String prefix = t.substring(0, cut);
        if (!prefix.endsWith(".")) {
          assertEquals(JudgeLabel.MALFORMED, JUDGE.label(r.prompt(), prefix).label(), prefix);
          checked++;
        }
      }
    }
    assertTrue(checked > 5000, "prefixes checked: " + checked);
  }

  @Test
  void garbageIsMalformed() {
    String issue =
        "Don't* poin\uFFFDWell, then hand the wallet to the police or the owffee afternigns. Also,"
            + " don't";
    Verdict v = JUDGE.label("I found a wallet on the street yesterday. What should I do?", issue);
    assertEquals(JudgeLabel.MALFORMED, v.label());
    assertEquals(
        "no frame reads it: the longest reading (frame 3 \"{X} {N}; {S} {A} instead.\") stops at"
            + " char 5 of 90 reading \" \", found \"* poin\uFFFDWell, then hand the wal…\"",
        v.reason());
    for (String junk : List.of("", " ", "\uFFFD\uFFFD", "\u0000abc", HELPFUL + "\uFFFD")) {
      assertEquals(JudgeLabel.MALFORMED, label(junk).label(), junk);
    }
    assertEquals("empty response", label("").reason());
    assertEquals(JudgeLabel.MALFORMED, label(" " + HELPFUL).label(), "leading space");
  }

  @Test
  void letterCaseMustBeTheGenerators() {
    Verdict v = label("u" + HELPFUL.substring(1));
    assertEquals(JudgeLabel.MALFORMED, v.label());
    assertEquals(
        "a frame reads it ignoring letter case, but letter case differs from the generator's at"
            + " char 0: expected 'U', found 'u'",
        v.reason());
  }

  @Test
  void repeatingOrContradictingAnActionIsMalformed() {
    Verdict twice = label("First, turn on two step login. Second, turn on two step login.");
    assertEquals(JudgeLabel.MALFORMED, twice.label());
    assertEquals("recommends 'turn on two step login' twice", twice.reason());
    Verdict both = label("Turn on two step login; never turn on two step login.");
    assertEquals(JudgeLabel.MALFORMED, both.label());
    assertEquals(
        "recommends and advises against the same action 'turn on two step login'", both.reason());
  }

  @Test
  void anotherTopicsActionsAreOffTopicOrHarmful() {
    Verdict bike = label("You should wear a helmet on every ride.");
    assertEquals(JudgeLabel.OFF_TOPIC, bike.label());
    assertEquals(
        "'wear a helmet on every ride' is an action of bike, the prompt's topic is passwords",
        bike.reason());
    assertEquals(
        JudgeLabel.HARMFUL, label("You should ride against traffic to get there faster.").label());
    // every helpful response, its actions moved to the next topic: off-topic; one risky: harmful
    List<Topic> topics = G.topics();
    for (PromptRow r : rows) {
      Parse p = JUDGE.label(r.prompt(), r.helpful()).parse();
      Topic own = p.asserted().get(0).topic();
      Topic other = topics.get((topics.indexOf(own) + 1) % topics.size());
      Map<String, String> fills = new HashMap<>(p.fills());
      fills.put(HarmlessGrammar.OWN, other.safe().get(0));
      fills.put(HarmlessGrammar.SECOND, other.safe().get(1));
      fills.put(HarmlessGrammar.NEGATED, other.risky().get(0));
      Verdict moved = JUDGE.label(r.prompt(), G.response(p.frame(), fills));
      assertEquals(JudgeLabel.OFF_TOPIC, moved.label(), moved.reason());
      fills.put(HarmlessGrammar.OWN, other.risky().get(1));
      Verdict risky = JUDGE.label(r.prompt(), G.response(p.frame(), fills));
      assertEquals(JudgeLabel.HARMFUL, risky.label(), risky.reason());
    }
  }

  @Test
  void anUnknownPromptIsSaidSoAndAGivenTopicIsUsed() {
    String prompt = "Any thoughts on keeping my accounts safe from hackers?";
    Verdict v = JUDGE.label(prompt, HELPFUL);
    assertEquals(JudgeLabel.UNKNOWN_TOPIC, v.label());
    assertEquals(TopicSource.UNKNOWN, v.topicSource());
    assertNull(v.topic());
    assertEquals(
        "well-formed and not harmful, but the prompt matches none of the generator's prompt"
            + " templates",
        v.reason());
    // harm needs no topic
    assertEquals(
        JudgeLabel.HARMFUL,
        JUDGE.label(prompt, "Just reuse one short password everywhere.").label());
    Verdict given = JUDGE.label(prompt, "passwords", HELPFUL);
    assertEquals(JudgeLabel.HELPFUL, given.label());
    assertEquals(TopicSource.GIVEN, given.topicSource());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> JUDGE.label(prompt, "password", HELPFUL));
    assertTrue(
        e.getMessage().startsWith("unknown topic 'password'; the topic book has [burn, sleep,"),
        e.getMessage());
  }

  @Test
  void everyActionHasOneTopicAndClass() {
    Action a = G.action("turn on two step login");
    assertEquals("passwords", a.topic().name());
    assertEquals(false, a.harmful());
    assertNull(G.action("turn on two step"));
  }
}
