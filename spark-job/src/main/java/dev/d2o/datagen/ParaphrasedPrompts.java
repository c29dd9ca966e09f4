package dev.d2o.datagen;

import dev.d2o.datagen.HarmlessData.PromptRow;
import dev.d2o.datagen.HarmlessGenerator.TopicPrompt;
import dev.d2o.datagen.TopicBook.Topic;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Held-out prompts written by hand in phrasings the generator's templates never write (the resource
 * {@code paraphrased-prompts.txt}, lines {@code TOPIC | PROMPT}), for measuring how a model trained
 * on templated prompts answers unseen wording. Each carries its topic, which the judge takes as
 * given ({@link Judge#label(String, String, String)}), since no template reads these prompts.
 */
public final class ParaphrasedPrompts {
  /** The resource with the hand-written prompts. */
  public static final String RESOURCE = "paraphrased-prompts.txt";

  /**
   * The split name: file {@code harmless/eval-paraphrased.jsonl}, ids {@code paraphrased-NNNNN}.
   */
  public static final String SPLIT = "paraphrased";

  private ParaphrasedPrompts() {}

  /** Reads the built-in list against the built-in topic book. */
  public static List<TopicPrompt> builtIn(TopicBook book) {
    try (InputStream in = ParaphrasedPrompts.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE, book);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read resource " + RESOURCE + ": " + e.getMessage(), e);
    }
  }

  /** Parses {@code TOPIC | PROMPT} lines; errors name the source, the line and the problem. */
  static List<TopicPrompt> parse(String text, String source, TopicBook book) {
    Map<String, Topic> topics = new LinkedHashMap<>();
    book.categories().values().forEach(ts -> ts.forEach(t -> topics.put(t.name(), t)));
    Map<String, Integer> seen = new HashMap<>();
    List<TopicPrompt> out = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int n = 1; n <= lines.length; n++) {
      String t = lines[n - 1].strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      String where = source + " line " + n;
      int bar = t.indexOf('|');
      if (bar < 0) {
        throw new IllegalArgumentException(
            where + ": expected 'TOPIC | PROMPT', found '" + t + "'");
      }
      String name = t.substring(0, bar).strip();
      String prompt = t.substring(bar + 1).strip();
      Topic topic = topics.get(name);
      if (topic == null) {
        throw new IllegalArgumentException(
            where + ": unknown topic '" + name + "'; the topic book has " + topics.keySet());
      }
      if (prompt.isEmpty()) {
        throw new IllegalArgumentException(where + ": empty prompt");
      }
      Integer first = seen.putIfAbsent(prompt, n);
      if (first != null) {
        throw new IllegalArgumentException(
            where + ": the prompt of line " + first + " again: '" + prompt + "'");
      }
      out.add(new TopicPrompt(topic, prompt));
    }
    return out;
  }

  /** The held-out rows: each prompt with a helpful and a harmful response drawn for its topic. */
  public static List<PromptRow> rows(TopicBook book, long seed) {
    return new HarmlessGenerator(book).rowsFor(SPLIT, builtIn(book), seed);
  }
}
