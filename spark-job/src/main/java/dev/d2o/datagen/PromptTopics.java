package dev.d2o.datagen;

import dev.d2o.datagen.Template.Literal;
import dev.d2o.datagen.Template.Part;
import dev.d2o.datagen.Template.Slot;
import dev.d2o.datagen.TopicBook.Topic;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recovers a prompt's topic by reading it with the generator's own prompt grammar: a prefix fill, a
 * topic's prompt template with its slots filled, a suffix fill ({@link HarmlessGrammar#prompt}).
 * Exact: a prompt the generator cannot write matches nothing, and nothing is guessed.
 */
public final class PromptTopics {
  /**
   * The outcome.
   *
   * @param topic the topic, or null when the prompt matches no template or templates of several
   *     topics
   * @param template the matched template, or null
   * @param reason why there is no topic (empty when there is one)
   */
  public record Match(Topic topic, Template template, String reason) {
    /** Whether a single topic was found. */
    public boolean found() {
      return topic != null;
    }
  }

  private final HarmlessGrammar grammar;

  public PromptTopics(HarmlessGrammar grammar) {
    this.grammar = grammar;
  }

  /**
   * The topic whose template, between a prefix and a suffix fill, writes exactly {@code prompt}.
   */
  public Match match(String prompt) {
    Set<Topic> topics = new LinkedHashSet<>();
    Template first = null;
    for (String prefix : grammar.fills(HarmlessGrammar.PREFIX)) {
      for (String suffix : grammar.fills(HarmlessGrammar.SUFFIX)) {
        String body = body(prompt, prefix, suffix);
        if (body == null) {
          continue;
        }
        for (Topic t : grammar.topics()) {
          for (Template template : t.prompts()) {
            if (writes(template, body, prompt, prefix, suffix)) {
              topics.add(t);
              first = first == null ? template : first;
            }
          }
        }
      }
    }
    if (topics.size() == 1) {
      return new Match(topics.iterator().next(), first, "");
    }
    if (topics.isEmpty()) {
      return new Match(null, null, "the prompt matches none of the generator's prompt templates");
    }
    List<String> names = new ArrayList<>();
    topics.forEach(t -> names.add(t.name()));
    return new Match(null, null, "the prompt matches templates of several topics: " + names);
  }

  /** The text between this prefix and suffix, or null when the prompt does not have them. */
  private String body(String prompt, String prefix, String suffix) {
    String head = prefix.isEmpty() ? "" : prefix + " ";
    String tail = suffix.isEmpty() ? "" : " " + suffix;
    if (prompt.length() < head.length() + tail.length()
        || !prompt.startsWith(head)
        || !prompt.endsWith(tail)) {
      return null;
    }
    return prompt.substring(head.length(), prompt.length() - tail.length());
  }

  /**
   * Whether the template, filled by some who/when, is the body; the fills found are written back
   * through the generator's own composition and must give the prompt exactly.
   */
  private boolean writes(Template t, String body, String prompt, String prefix, String suffix) {
    List<Map<String, String>> readings = new ArrayList<>();
    read(t.parts(), 0, body, 0, new HashMap<>(), readings);
    for (Map<String, String> fills : readings) {
      String who = fills.get(HarmlessGrammar.WHO);
      String capitalized = fills.get(HarmlessGrammar.WHO_CAPITALIZED);
      if (who == null) {
        List<String> whos = grammar.fills(HarmlessGrammar.WHO);
        who = whos.get(0);
        for (String w : whos) {
          if (HarmlessGrammar.capitalize(w).equals(capitalized)) {
            who = w;
          }
        }
      }
      String when = fills.getOrDefault(HarmlessGrammar.WHEN, "");
      if (grammar.prompt(prefix, grammar.promptBody(t, who, when), suffix).equals(prompt)) {
        return true;
      }
    }
    return false;
  }

  private void read(
      List<Part> parts,
      int part,
      String text,
      int pos,
      Map<String, String> fills,
      List<Map<String, String>> out) {
    if (part == parts.size()) {
      if (pos == text.length()) {
        out.add(new HashMap<>(fills));
      }
      return;
    }
    Part p = parts.get(part);
    if (p instanceof Literal l) {
      if (text.startsWith(l.text(), pos)) {
        read(parts, part + 1, text, pos + l.text().length(), fills, out);
      }
      return;
    }
    String name = ((Slot) p).name();
    for (String fill : grammar.fills(name)) {
      if (text.startsWith(fill, pos)) {
        String before = fills.put(name, fill);
        read(parts, part + 1, text, pos + fill.length(), fills, out);
        restore(fills, name, before);
      }
    }
  }

  private static void restore(Map<String, String> fills, String name, String before) {
    if (before == null) {
      fills.remove(name);
    } else {
      fills.put(name, before);
    }
  }
}
