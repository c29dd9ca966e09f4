package dev.d2o.datagen;

import dev.d2o.datagen.HarmlessData.LabeledRow;
import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.HarmlessData.SftRow;
import dev.d2o.datagen.TopicBook.Topic;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Draws the harmlessness data set from a {@link TopicBook}, deterministically for a seed. Prompts
 * are drawn evenly over categories, then topics, then templates and slot fills, and deduplicated by
 * exact text; the first {@code train} distinct prompts form the training split and the next {@code
 * eval} the held-out split, so the two share no prompt. Each split draws from its own random
 * stream, so changing one size leaves the others' rows alone.
 */
public final class HarmlessGenerator {
  /** Longest response in words: a tiny model has to learn these on two CPU cores. */
  static final int MAX_RESPONSE_WORDS = 25;

  /** Longest prompt in words. */
  static final int MAX_PROMPT_WORDS = 20;

  /** Consecutive draws without a new prompt after which the pool counts as exhausted. */
  private static final int MAX_MISSES = 20_000;

  /**
   * Sizes and seed.
   *
   * @param seed random seed; the same seed gives identical data
   * @param train prompts in the training split (each also gets one SFT example)
   * @param eval held-out prompts
   * @param costTrain training prompts that get a labeled helpful and harmful response for the cost
   *     model
   * @param sftHarmfulShare exact share of harmful responses in the SFT corpus (rounded to whole
   *     rows)
   */
  public record Options(long seed, int train, int eval, int costTrain, double sftHarmfulShare) {
    /** The sizes {@code d2o make-data} uses by default. */
    public static Options defaults(long seed) {
      return new Options(seed, 3000, 300, 1500, 0.45);
    }
  }

  /** A prompt with the topic it was written for. */
  public record TopicPrompt(Topic topic, String prompt) {}

  private final TopicBook book;
  private final HarmlessGrammar grammar;

  /** A generator of this book's texts; fails when the book breaks the grammar's rules. */
  public HarmlessGenerator(TopicBook book) {
    this.book = book;
    this.grammar = new HarmlessGrammar(book);
  }

  /** Generates every split. */
  public HarmlessData generate(Options o) {
    if (o.train() < 1 || o.eval() < 1 || o.costTrain() < 0 || o.costTrain() > o.train()) {
      throw new IllegalArgumentException(
          "sizes must satisfy train ≥ 1, eval ≥ 1, 0 ≤ costTrain ≤ train; got train="
              + o.train()
              + " eval="
              + o.eval()
              + " costTrain="
              + o.costTrain());
    }
    if (!(o.sftHarmfulShare() >= 0 && o.sftHarmfulShare() <= 1)) {
      throw new IllegalArgumentException(
          "sftHarmfulShare must be in [0, 1], got " + o.sftHarmfulShare());
    }
    List<TopicPrompt> prompts = drawPrompts(o.train() + o.eval(), stream(o.seed(), "prompts"));
    List<TopicPrompt> trainPrompts = prompts.subList(0, o.train());
    List<TopicPrompt> evalPrompts = prompts.subList(o.train(), prompts.size());
    List<PromptRow> train = pairs("train", trainPrompts, stream(o.seed(), "train"));
    List<PromptRow> eval = pairs("eval", evalPrompts, stream(o.seed(), "eval"));
    List<SftRow> sft = sft("sft", trainPrompts, 1, o.sftHarmfulShare(), stream(o.seed(), "sft"));
    List<LabeledRow> costTrain =
        labeled(
            "cost-train", trainPrompts.subList(0, o.costTrain()), stream(o.seed(), "cost-train"));
    List<LabeledRow> costTest = labeled("cost-test", evalPrompts, stream(o.seed(), "cost-test"));
    return new HarmlessData(train, eval, sft, costTrain, costTest);
  }

  /**
   * Held-out rows for prompts written elsewhere (e.g. {@link ParaphrasedPrompts}): for each, a
   * helpful and a harmful response drawn for its topic exactly as for the generated splits, from a
   * stream of its own named {@code split}; ids are {@code split-00000}, ...
   */
  public List<PromptRow> rowsFor(String split, List<TopicPrompt> prompts, long seed) {
    return pairs(split, prompts, stream(seed, split));
  }

  private static Random stream(long seed, String name) {
    // String.hashCode is specified, so this is stable across JVMs
    return new Random(seed * 1_000_003L + name.hashCode());
  }

  private List<TopicPrompt> drawPrompts(int count, Random rng) {
    List<List<Topic>> categories = new ArrayList<>(book.categories().values());
    Set<String> seen = new HashSet<>();
    List<TopicPrompt> out = new ArrayList<>(count);
    int misses = 0;
    while (out.size() < count) {
      if (misses > MAX_MISSES) {
        throw new IllegalStateException(
            "the topic book yields too few distinct prompts: found "
                + out.size()
                + ", then "
                + MAX_MISSES
                + " draws in a row found no new one; asked for "
                + count);
      }
      List<Topic> topics = pick(categories, rng);
      Topic topic = pick(topics, rng);
      // The draws keep their historical order (who before the template), so seeds keep their data.
      String who = pick(book.slot(HarmlessGrammar.WHO), rng);
      Template template = pick(topic.prompts(), rng);
      String body = grammar.promptBody(template, who, pick(book.slot(HarmlessGrammar.WHEN), rng));
      String prefix = pick(book.slot(HarmlessGrammar.PREFIX), rng);
      String prompt = grammar.prompt(prefix, body, pick(book.slot(HarmlessGrammar.SUFFIX), rng));
      if (prompt.split("\\s+").length <= MAX_PROMPT_WORDS && seen.add(prompt)) {
        out.add(new TopicPrompt(topic, prompt));
        misses = 0;
      } else {
        misses++;
      }
    }
    return out;
  }

  private List<PromptRow> pairs(String split, List<TopicPrompt> prompts, Random rng) {
    List<PromptRow> out = new ArrayList<>(prompts.size());
    for (int i = 0; i < prompts.size(); i++) {
      TopicPrompt d = prompts.get(i);
      out.add(
          new PromptRow(
              id(split, i),
              d.topic().category(),
              d.topic().name(),
              d.prompt(),
              response(d.topic(), false, rng),
              response(d.topic(), true, rng)));
    }
    return out;
  }

  /**
   * A supervised fine-tuning corpus of {@code perPrompt} fresh responses for each prompt (rows in
   * rounds: every prompt once, then again), an exact share of them harmful, deterministic for the
   * seed; ids are {@code split-00000}, ...
   */
  public List<SftRow> sftCorpus(
      String split, List<TopicPrompt> prompts, int perPrompt, double harmfulShare, long seed) {
    if (perPrompt < 1 || !(harmfulShare >= 0 && harmfulShare <= 1)) {
      throw new IllegalArgumentException(
          "need perPrompt ≥ 1 and harmfulShare in [0, 1]; got perPrompt="
              + perPrompt
              + " harmfulShare="
              + harmfulShare);
    }
    return sft(split, prompts, perPrompt, harmfulShare, stream(seed, split));
  }

  private List<SftRow> sft(
      String split, List<TopicPrompt> prompts, int rounds, double harmfulShare, Random rng) {
    int rows = rounds * prompts.size();
    int harmful = (int) Math.round(harmfulShare * rows);
    List<Integer> labels = new ArrayList<>(Collections.nCopies(harmful, 1));
    labels.addAll(Collections.nCopies(rows - harmful, 0));
    Collections.shuffle(labels, rng);
    List<SftRow> out = new ArrayList<>(rows);
    for (int i = 0; i < rows; i++) {
      TopicPrompt d = prompts.get(i % prompts.size());
      int label = labels.get(i);
      out.add(
          new SftRow(
              id(split, i),
              d.topic().category(),
              d.prompt(),
              response(d.topic(), label == 1, rng),
              label));
    }
    return out;
  }

  private List<LabeledRow> labeled(String split, List<TopicPrompt> prompts, Random rng) {
    List<LabeledRow> out = new ArrayList<>(2 * prompts.size());
    for (TopicPrompt d : prompts) {
      // Which class comes first varies, so row order carries no label.
      boolean harmfulFirst = rng.nextBoolean();
      for (boolean harmful : new boolean[] {harmfulFirst, !harmfulFirst}) {
        out.add(
            new LabeledRow(
                id(split, out.size()),
                d.topic().category(),
                d.prompt(),
                response(d.topic(), harmful, rng),
                harmful ? 1 : 0));
      }
    }
    return out;
  }

  /**
   * One response of the given class: a shared frame filled with this class's actions ({A}, {B}), an
   * action of the other class under a negation ({N}), an opener ({S}), a negation ({X}) and a
   * reason ({R}), composed by {@link HarmlessGrammar#response}. Redrawn while longer than {@link
   * #MAX_RESPONSE_WORDS} words.
   */
  String response(Topic topic, boolean harmful, Random rng) {
    List<String> own = harmful ? topic.risky() : topic.safe();
    List<String> other = harmful ? topic.safe() : topic.risky();
    for (int attempt = 0; ; attempt++) {
      int a = rng.nextInt(own.size());
      int b = (a + 1 + rng.nextInt(own.size() - 1)) % own.size();
      Template frame = pick(book.frames(), rng);
      // Every slot is drawn, used or not, in this order, so seeds keep their data.
      Map<String, String> fills = new HashMap<>();
      fills.put(HarmlessGrammar.OWN, own.get(a));
      fills.put(HarmlessGrammar.SECOND, own.get(b));
      fills.put(HarmlessGrammar.NEGATED, pick(other, rng));
      for (String slot :
          List.of(HarmlessGrammar.OPENER, HarmlessGrammar.NEGATION, HarmlessGrammar.REASON)) {
        fills.put(slot, pick(book.slot(slot), rng));
      }
      String text = grammar.response(frame, fills);
      if (text.split("\\s+").length <= MAX_RESPONSE_WORDS || attempt >= 100) {
        return text;
      }
    }
  }

  private static String id(String split, int i) {
    return String.format("%s-%05d", split, i);
  }

  private static <T> T pick(List<T> list, Random rng) {
    return list.get(rng.nextInt(list.size()));
  }
}
