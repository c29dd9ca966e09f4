package dev.d2o.datagen;

import dev.d2o.datagen.HarmlessGrammar.Action;
import dev.d2o.datagen.Template.Literal;
import dev.d2o.datagen.Template.Part;
import dev.d2o.datagen.Template.Slot;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Parses a response against the grammar's frames: every way the text can be read as one frame with
 * each slot holding one of its fills. Matching is first done ignoring letter case, then each
 * reading is rebuilt with {@link HarmlessGrammar#response} and kept only if it reproduces the text
 * exactly, so "well-formed" means "a text the generator's composition can write".
 */
final class ResponseParser {
  /** How far the longest failed reading got, for the reason of a malformed response. */
  record Failure(int at, int frame, String expected) {}

  /** Every exact reading of a text (empty when none) and, if none, the longest failed one. */
  record Result(List<Parse> parses, Failure failure, String caseMismatch) {}

  private record Fill(String text, String lower) {}

  private final HarmlessGrammar grammar;
  private final List<Template> frames;
  private final List<List<Part>> lowerParts = new ArrayList<>();
  private final Map<String, Map<Character, List<Fill>>> fillsBySlot = new HashMap<>();

  ResponseParser(HarmlessGrammar grammar) {
    this.grammar = grammar;
    this.frames = grammar.book().frames();
    for (Template f : frames) {
      List<Part> parts = new ArrayList<>();
      for (Part p : f.parts()) {
        parts.add(p instanceof Literal l ? new Literal(lower(l.text())) : p);
        if (p instanceof Slot s && !fillsBySlot.containsKey(s.name())) {
          // fills grouped by their first letter: the parser tries only those that can start here
          Map<Character, List<Fill>> byFirst = new HashMap<>();
          for (String fill : grammar.fills(s.name())) {
            String lf = lower(fill);
            byFirst
                .computeIfAbsent(lf.isEmpty() ? '\0' : lf.charAt(0), k -> new ArrayList<>())
                .add(new Fill(fill, lf));
          }
          fillsBySlot.put(s.name(), byFirst);
        }
      }
      lowerParts.add(parts);
    }
  }

  /** Lower case char by char, so positions in the text and its lower-case copy agree. */
  static String lower(String s) {
    char[] c = s.toCharArray();
    for (int i = 0; i < c.length; i++) {
      c[i] = Character.toLowerCase(c[i]);
    }
    return new String(c);
  }

  Result parse(String text) {
    String lt = lower(text);
    List<Parse> exact = new ArrayList<>();
    String caseMismatch = null;
    Failure[] furthest = {new Failure(-1, -1, "")};
    for (int f = 0; f < frames.size(); f++) {
      List<Map<String, String>> readings = new ArrayList<>();
      match(lt, f, 0, 0, new HashMap<>(), readings, furthest);
      for (Map<String, String> fills : readings) {
        String rebuilt = grammar.response(frames.get(f), fills);
        if (rebuilt.equals(text)) {
          exact.add(parse(f, fills));
        } else if (caseMismatch == null) {
          caseMismatch = firstDifference(rebuilt, text);
        }
      }
    }
    return new Result(exact, furthest[0], caseMismatch);
  }

  private void match(
      String lt,
      int frame,
      int part,
      int pos,
      Map<String, String> fills,
      List<Map<String, String>> out,
      Failure[] furthest) {
    List<Part> parts = lowerParts.get(frame);
    if (part == parts.size()) {
      if (pos == lt.length()) {
        out.add(new HashMap<>(fills));
      } else {
        note(furthest, pos, frame, "the end of the frame");
      }
      return;
    }
    Part p = parts.get(part);
    if (p instanceof Literal l) {
      if (lt.startsWith(l.text(), pos)) {
        match(lt, frame, part + 1, pos + l.text().length(), fills, out, furthest);
      } else {
        Literal written = (Literal) frames.get(frame).parts().get(part);
        note(furthest, pos + common(l.text(), lt, pos), frame, "\"" + written.text() + "\"");
      }
      return;
    }
    String name = ((Slot) p).name();
    List<Fill> candidates =
        pos < lt.length()
            ? fillsBySlot.get(name).getOrDefault(lt.charAt(pos), List.of())
            : List.of();
    boolean any = false;
    Fill nearest = null;
    int reach = 0;
    for (Fill c : candidates) {
      if (lt.startsWith(c.lower(), pos)) {
        any = true;
        fills.put(name, c.text());
        match(lt, frame, part + 1, pos + c.lower().length(), fills, out, furthest);
        fills.remove(name);
      } else if (common(c.lower(), lt, pos) > reach) {
        reach = common(c.lower(), lt, pos);
        nearest = c;
      }
    }
    if (!any) {
      String role = HarmlessGrammar.role(name);
      // the fill that reads furthest shows where the text leaves the grammar
      note(
          furthest,
          pos + reach,
          frame,
          nearest == null ? role : role + " (nearest: \"" + nearest.text() + "\")");
    }
  }

  /** How many chars of {@code fill} the text repeats from {@code pos}. */
  private static int common(String fill, String lt, int pos) {
    int n = 0;
    while (n < fill.length() && pos + n < lt.length() && fill.charAt(n) == lt.charAt(pos + n)) {
      n++;
    }
    return n;
  }

  private static void note(Failure[] furthest, int pos, int frame, String expected) {
    if (pos > furthest[0].at()) {
      furthest[0] = new Failure(pos, frame, expected);
    }
  }

  private Parse parse(int frame, Map<String, String> fills) {
    List<Action> asserted = new ArrayList<>();
    List<Action> negated = new ArrayList<>();
    Map<String, String> used = new HashMap<>();
    for (String slot : frames.get(frame).slotNames()) {
      String fill = fills.get(slot);
      used.put(slot, fill);
      Action a = grammar.action(fill);
      if (a != null) {
        (slot.equals(HarmlessGrammar.NEGATED) ? negated : asserted).add(a);
      }
    }
    return new Parse(frame, frames.get(frame), Map.copyOf(used), asserted, negated);
  }

  private static String firstDifference(String expected, String found) {
    int i = 0;
    while (i < expected.length() && expected.charAt(i) == found.charAt(i)) {
      i++;
    }
    return "letter case differs from the generator's at char "
        + i
        + ": expected '"
        + expected.charAt(i)
        + "', found '"
        + found.charAt(i)
        + "'";
  }
}
