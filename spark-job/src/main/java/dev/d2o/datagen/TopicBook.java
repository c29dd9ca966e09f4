package dev.d2o.datagen;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The content of the harmlessness domain, read from the resource {@code harmless-topics.txt}:
 * categories of topics, each with prompt templates and helpful ("safe") and harmful ("risky")
 * actions, plus the slots and the response frames shared by both classes. The file's header
 * documents its line format.
 */
public final class TopicBook {
  /** The resource the generator reads. */
  public static final String RESOURCE = "harmless-topics.txt";

  /** One topic: prompt templates and the actions of each class. */
  public record Topic(
      String category,
      String name,
      List<Template> prompts,
      List<String> safe,
      List<String> risky) {}

  private final Map<String, List<Topic>> categories;
  private final Map<String, List<String>> slots;
  private final List<Template> frames;

  private TopicBook(
      Map<String, List<Topic>> categories, Map<String, List<String>> slots, List<Template> frames) {
    this.categories = categories;
    this.slots = slots;
    this.frames = frames;
  }

  /** Reads the built-in topic book. */
  public static TopicBook builtIn() {
    try (InputStream in = TopicBook.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("resource " + RESOURCE + " is missing from the classpath");
      }
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), RESOURCE);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read resource " + RESOURCE + ": " + e.getMessage(), e);
    }
  }

  /** Parses the line format; errors name the source and the line. */
  static TopicBook parse(String text, String source) {
    Map<String, List<Topic>> categories = new LinkedHashMap<>();
    Map<String, List<String>> slots = new LinkedHashMap<>();
    List<Template> frames = new ArrayList<>();
    String category = null;
    Topic topic = null;
    int n = 0;
    try (BufferedReader r = new BufferedReader(new StringReader(text))) {
      for (String line = r.readLine(); line != null; line = r.readLine()) {
        n++;
        String t = line.strip();
        if (t.isEmpty() || t.startsWith("#")) {
          continue;
        }
        int sp = t.indexOf(' ');
        String kind = sp < 0 ? t : t.substring(0, sp);
        String rest = sp < 0 ? "" : t.substring(sp + 1).strip();
        String where = source + " line " + n;
        switch (kind) {
          case "category" -> {
            category = rest;
            categories.put(category, new ArrayList<>());
            topic = null;
          }
          case "topic" -> {
            if (category == null) {
              throw new IllegalArgumentException(
                  where + ": topic '" + rest + "' before any category");
            }
            topic =
                new Topic(category, rest, new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            categories.get(category).add(topic);
          }
          case "prompt", "safe", "risky" -> {
            if (topic == null) {
              throw new IllegalArgumentException(where + ": '" + kind + "' before any topic");
            }
            if (kind.equals("prompt")) {
              topic.prompts().add(template(rest, where));
            } else {
              (kind.equals("safe") ? topic.safe() : topic.risky()).add(rest);
            }
          }
          case "frame" -> frames.add(template(rest, where));
          case "slot" -> {
            int eq = rest.indexOf('=');
            if (eq < 0) {
              throw new IllegalArgumentException(
                  where + ": expected 'slot NAME = a | b', found '" + t + "'");
            }
            List<String> fills = new ArrayList<>();
            for (String f : rest.substring(eq + 1).split("\\|", -1)) {
              fills.add(f.strip());
            }
            slots.put(rest.substring(0, eq).strip(), List.copyOf(fills));
          }
          default ->
              throw new IllegalArgumentException(
                  where
                      + ": unknown line kind '"
                      + kind
                      + "' (expected category, topic, prompt, safe, risky, frame or slot)");
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return new TopicBook(categories, slots, List.copyOf(frames));
  }

  private static Template template(String text, String where) {
    try {
      return Template.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(where + ": " + e.getMessage(), e);
    }
  }

  /** Categories in file order, each with its topics. */
  public Map<String, List<Topic>> categories() {
    return categories;
  }

  /** The fills of slot {@code name}; fails naming the missing slot. */
  public List<String> slot(String name) {
    List<String> fills = slots.get(name);
    if (fills == null) {
      throw new IllegalArgumentException(
          "topic book has no slot '" + name + "' (known: " + slots.keySet() + ")");
    }
    return fills;
  }

  /** The response frames, shared by both classes. */
  public List<Template> frames() {
    return frames;
  }
}
