package dev.d2o.datagen;

import dev.d2o.datagen.TopicBook.Topic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How the texts of the harmlessness domain are composed from a {@link TopicBook}: the one
 * declaration that {@link HarmlessGenerator} writes with and {@link Judge} parses with.
 *
 * <ul>
 *   <li>prompt = {@code prefix + " " + body + " " + suffix}, stripped; the body is a topic's prompt
 *       template with {@code {who}}, {@code {Who}} (the same fill, capitalized) and {@code {when}};
 *   <li>response = the sentence case of a frame whose {@code {A}} and {@code {B}} hold actions of
 *       the response's class, {@code {N}} an action of the other class (every frame puts it under a
 *       negation), {@code {S}} an opener, {@code {X}} a negation and {@code {R}} a reason.
 * </ul>
 */
public final class HarmlessGrammar {
  /** The first action of the response's own class. */
  public static final String OWN = "A";

  /** A second, different action of the response's own class. */
  public static final String SECOND = "B";

  /** An action of the other class; every frame places it under a negation. */
  public static final String NEGATED = "N";

  /** Slot names of the prompt body and the prompt's wrapping, and of the frames' fixed lists. */
  public static final String WHO = "who",
      WHO_CAPITALIZED = "Who",
      WHEN = "when",
      PREFIX = "prefix",
      SUFFIX = "suffix",
      OPENER = "S",
      NEGATION = "X",
      REASON = "R";

  private static final Set<String> ACTION_SLOTS = Set.of(OWN, SECOND, NEGATED);

  /** An action of the book with its topic and class. */
  public record Action(String text, Topic topic, boolean harmful) {}

  private final TopicBook book;
  private final Map<String, Action> actions = new LinkedHashMap<>();

  /**
   * Checks the book against this grammar: every action text belongs to one topic only (else a
   * response could not name its topic), frames use only the action slots and the book's slots,
   * prompt templates only {who}, {Who} and {when}.
   */
  public HarmlessGrammar(TopicBook book) {
    this.book = book;
    for (List<Topic> topics : book.categories().values()) {
      for (Topic t : topics) {
        for (String a : t.safe()) {
          addAction(new Action(a, t, false));
        }
        for (String a : t.risky()) {
          addAction(new Action(a, t, true));
        }
        for (Template p : t.prompts()) {
          for (String s : p.slotNames()) {
            if (!Set.of(WHO, WHO_CAPITALIZED, WHEN).contains(s)) {
              throw new IllegalArgumentException(
                  "prompt template \""
                      + p
                      + "\" of topic "
                      + t.name()
                      + " uses slot {"
                      + s
                      + "}; prompt templates may use {who}, {Who} and {when}");
            }
          }
        }
      }
    }
    for (Template f : book.frames()) {
      for (String s : f.slotNames()) {
        if (!ACTION_SLOTS.contains(s)) {
          book.slot(s); // fails naming the slot and the known ones
        }
      }
    }
    for (String s : List.of(WHO, WHEN, PREFIX, SUFFIX, OPENER, NEGATION, REASON)) {
      book.slot(s);
    }
  }

  private void addAction(Action a) {
    Action before = actions.putIfAbsent(a.text(), a);
    if (before != null) {
      throw new IllegalArgumentException(
          "action \""
              + a.text()
              + "\" appears in topic "
              + before.topic().name()
              + " and again in topic "
              + a.topic().name()
              + "; each action must belong to one topic, so that a response names its topic");
    }
  }

  /** The built-in topic book's grammar. */
  public static HarmlessGrammar builtIn() {
    return new HarmlessGrammar(TopicBook.builtIn());
  }

  /** The book this grammar reads. */
  public TopicBook book() {
    return book;
  }

  /** Every topic, in book order. */
  public List<Topic> topics() {
    List<Topic> out = new ArrayList<>();
    book.categories().values().forEach(out::addAll);
    return out;
  }

  /** The action with exactly this text, or null. */
  public Action action(String text) {
    return actions.get(text);
  }

  /** A response: the frame filled and put in sentence case. */
  public String response(Template frame, Map<String, String> fills) {
    return sentenceCase(frame.fill(fills));
  }

  /** A prompt body: a topic's prompt template with {who}, {Who} and {when} filled. */
  public String promptBody(Template template, String who, String when) {
    return template.fill(Map.of(WHO, who, WHO_CAPITALIZED, capitalize(who), WHEN, when));
  }

  /** A prompt: the body between a prefix and a suffix (either may be empty). */
  public String prompt(String prefix, String body, String suffix) {
    return (prefix + " " + body + " " + suffix).strip();
  }

  /**
   * What a slot of a frame or prompt template can hold: every action of the book for {A}, {B} and
   * {N}, the capitalized who fills for {Who}, the book's fills otherwise.
   */
  public List<String> fills(String slot) {
    if (ACTION_SLOTS.contains(slot)) {
      return List.copyOf(actions.keySet());
    }
    if (slot.equals(WHO_CAPITALIZED)) {
      return book.slot(WHO).stream().map(HarmlessGrammar::capitalize).toList();
    }
    return book.slot(slot);
  }

  /** What a slot holds, in words, for the judge's reasons. */
  public static String role(String slot) {
    return switch (slot) {
      case OWN, SECOND, NEGATED -> "an action for {" + slot + "}";
      case OPENER -> "an opener for {S}";
      case NEGATION -> "a negation for {X}";
      case REASON -> "a reason for {R}";
      default -> "a fill of {" + slot + "}";
    };
  }

  static String capitalize(String s) {
    return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }

  /** Capitalizes the first letter and every letter that follows ". ". */
  static String sentenceCase(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean start = true;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(start && Character.isLetter(c) ? Character.toUpperCase(c) : c);
      if (Character.isLetter(c)) {
        start = false;
      } else if (c == '.' && i + 1 < s.length() && s.charAt(i + 1) == ' ') {
        start = true;
      }
    }
    return out.toString();
  }
}
