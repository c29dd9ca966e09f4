package dev.d2o.datagen;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A text with {@code {name}} placeholders, parsed once into literal and slot parts. The generator
 * fills templates; the judge matches text against the same parts, so both read one declaration of
 * the grammar.
 */
public final class Template {
  /** A piece of a template. */
  public sealed interface Part permits Literal, Slot {}

  /** Text copied as is. */
  public record Literal(String text) implements Part {}

  /** A placeholder {@code {name}}. */
  public record Slot(String name) implements Part {}

  private final String source;
  private final List<Part> parts;

  private Template(String source, List<Part> parts) {
    this.source = source;
    this.parts = parts;
  }

  /** Parses {@code text}; a brace without its pair or an empty {@code {}} is an error. */
  public static Template parse(String text) {
    List<Part> parts = new ArrayList<>();
    int i = 0;
    while (i < text.length()) {
      int open = text.indexOf('{', i);
      int close = text.indexOf('}', i);
      if (open < 0 && close < 0) {
        parts.add(new Literal(text.substring(i)));
        break;
      }
      if (open < 0 || (close >= 0 && close < open)) {
        throw new IllegalArgumentException(
            "template \"" + text + "\": '}' at char " + close + " has no opening '{'");
      }
      int end = text.indexOf('}', open);
      int nested = text.indexOf('{', open + 1);
      if (end < 0 || (nested >= 0 && nested < end)) {
        throw new IllegalArgumentException(
            "template \"" + text + "\": '{' at char " + open + " is not closed");
      }
      if (end == open + 1) {
        throw new IllegalArgumentException(
            "template \"" + text + "\": empty placeholder '{}' at char " + open);
      }
      if (open > i) {
        parts.add(new Literal(text.substring(i, open)));
      }
      parts.add(new Slot(text.substring(open + 1, end)));
      i = end + 1;
    }
    return new Template(text, List.copyOf(parts));
  }

  /** The parts in order; adjacent literals never occur. */
  public List<Part> parts() {
    return parts;
  }

  /** The names of the slots, in order of first use. */
  public Set<String> slotNames() {
    Set<String> out = new LinkedHashSet<>();
    for (Part p : parts) {
      if (p instanceof Slot s) {
        out.add(s.name());
      }
    }
    return out;
  }

  /** The text with every slot replaced by its value; fails naming a slot that has none. */
  public String fill(Map<String, String> values) {
    StringBuilder out = new StringBuilder();
    for (Part p : parts) {
      if (p instanceof Literal l) {
        out.append(l.text());
      } else {
        Slot s = (Slot) p;
        String v = values.get(s.name());
        if (v == null) {
          throw new IllegalArgumentException(
              "template \"" + source + "\": no value for slot {" + s.name() + "}");
        }
        out.append(v);
      }
    }
    return out.toString();
  }

  /** The template as written in the topic book. */
  public String text() {
    return source;
  }

  @Override
  public String toString() {
    return source;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Template t && t.source.equals(source);
  }

  @Override
  public int hashCode() {
    return source.hashCode();
  }
}
