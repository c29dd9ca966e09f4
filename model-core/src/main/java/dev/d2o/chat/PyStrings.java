package dev.d2o.chat;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Python {@code str} methods with Python's semantics (whitespace set, split, title). */
final class PyStrings {
  /** Returned when the method is not a Python string method this class knows. */
  static final Object NOT_HANDLED = new Object();

  private PyStrings() {}

  /** Calls {@code s.name(args...)}, or returns {@link #NOT_HANDLED}. */
  static Object call(String s, String name, Object[] a) {
    return switch (name) {
      case "strip" -> a.length <= 1 ? strip(s, chars(a), true, true) : NOT_HANDLED;
      case "lstrip" -> a.length <= 1 ? strip(s, chars(a), true, false) : NOT_HANDLED;
      case "rstrip" -> a.length <= 1 ? strip(s, chars(a), false, true) : NOT_HANDLED;
      case "startswith" -> a.length == 1 ? affix(s, a[0], true) : NOT_HANDLED;
      case "endswith" -> a.length == 1 ? affix(s, a[0], false) : NOT_HANDLED;
      case "split" -> a.length <= 2 ? split(s, a) : NOT_HANDLED;
      case "upper" -> a.length == 0 ? s.toUpperCase(Locale.ROOT) : NOT_HANDLED;
      case "lower" -> a.length == 0 ? s.toLowerCase(Locale.ROOT) : NOT_HANDLED;
      case "title" -> a.length == 0 ? title(s) : NOT_HANDLED;
      case "capitalize" -> a.length == 0 ? capitalize(s) : NOT_HANDLED;
      case "replace" -> a.length == 2 || a.length == 3 ? replace(s, a) : NOT_HANDLED;
      case "find" -> a.length == 1 ? s.indexOf(str(a[0])) : NOT_HANDLED;
      case "count" -> a.length == 1 ? count(s, str(a[0])) : NOT_HANDLED;
      case "join" -> a.length == 1 && a[0] instanceof Iterable<?> it ? join(s, it) : NOT_HANDLED;
      default -> NOT_HANDLED;
    };
  }

  /** Python's {@code str.isspace} for one code point (Unicode White_Space as CPython sees it). */
  static boolean isSpace(int c) {
    return (c >= 0x09 && c <= 0x0d)
        || (c >= 0x1c && c <= 0x20)
        || c == 0x85
        || c == 0xa0
        || c == 0x1680
        || (c >= 0x2000 && c <= 0x200a)
        || c == 0x2028
        || c == 0x2029
        || c == 0x202f
        || c == 0x205f
        || c == 0x3000;
  }

  /** {@code s.strip(chars)}; {@code chars == null} strips Python whitespace. */
  static String strip(String s, String chars, boolean left, boolean right) {
    int start = 0;
    int end = s.length();
    while (left && start < end && stripped(s.codePointAt(start), chars)) {
      start += Character.charCount(s.codePointAt(start));
    }
    while (right && end > start && stripped(s.codePointBefore(end), chars)) {
      end -= Character.charCount(s.codePointBefore(end));
    }
    return s.substring(start, end);
  }

  private static boolean stripped(int c, String chars) {
    return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
  }

  private static String chars(Object[] a) {
    return a.length == 0 || a[0] == null ? null : str(a[0]);
  }

  private static boolean affix(String s, Object arg, boolean prefix) {
    if (arg instanceof Iterable<?> options) { // Python accepts a tuple of affixes
      for (Object o : options) {
        if (affix(s, o, prefix)) {
          return true;
        }
      }
      return false;
    }
    return prefix ? s.startsWith(str(arg)) : s.endsWith(str(arg));
  }

  /** {@code s.split(sep=None, maxsplit=-1)}. */
  static List<String> split(String s, Object[] a) {
    String sep = a.length > 0 && a[0] != null ? str(a[0]) : null;
    int max = a.length > 1 ? ((Number) a[1]).intValue() : -1;
    List<String> out = new ArrayList<>();
    if (sep != null) {
      if (sep.isEmpty()) {
        throw new IllegalArgumentException("empty separator");
      }
      int from = 0;
      int at;
      while ((max < 0 || out.size() < max) && (at = s.indexOf(sep, from)) >= 0) {
        out.add(s.substring(from, at));
        from = at + sep.length();
      }
      out.add(s.substring(from));
      return out;
    }
    // No separator: runs of whitespace split, leading/trailing whitespace gives no empty parts.
    int i = 0;
    int n = s.length();
    while (true) {
      while (i < n && isSpace(s.codePointAt(i))) {
        i += Character.charCount(s.codePointAt(i));
      }
      if (i >= n) {
        return out;
      }
      if (max >= 0 && out.size() == max) {
        out.add(s.substring(i)); // Python keeps the remainder's trailing whitespace
        return out;
      }
      int j = i;
      while (j < n && !isSpace(s.codePointAt(j))) {
        j += Character.charCount(s.codePointAt(j));
      }
      out.add(s.substring(i, j));
      i = j;
    }
  }

  /** Python's title(): a letter after a letter is lower-cased, any other letter title-cased. */
  static String title(String s) {
    StringBuilder out = new StringBuilder(s.length());
    boolean previousCased = false;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      out.appendCodePoint(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
      previousCased = Character.isLetter(c);
      i += Character.charCount(c);
    }
    return out.toString();
  }

  private static String capitalize(String s) {
    if (s.isEmpty()) {
      return s;
    }
    int first = s.codePointAt(0);
    String rest = s.substring(Character.charCount(first)).toLowerCase(Locale.ROOT);
    return new StringBuilder().appendCodePoint(Character.toTitleCase(first)) + rest;
  }

  private static String replace(String s, Object[] a) {
    String old = str(a[0]);
    String rep = str(a[1]);
    int count = a.length == 3 ? ((Number) a[2]).intValue() : -1;
    if (count < 0) {
      return s.replace(old, rep);
    }
    StringBuilder out = new StringBuilder();
    int from = 0;
    int at;
    for (int done = 0; done < count && (at = s.indexOf(old, from)) >= 0; done++) {
      out.append(s, from, at).append(rep);
      from = at + old.length();
    }
    return out.append(s.substring(from)).toString();
  }

  private static long count(String s, String sub) {
    if (sub.isEmpty()) {
      return s.codePointCount(0, s.length()) + 1L;
    }
    long n = 0;
    for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
      n++;
    }
    return n;
  }

  private static String join(String sep, Iterable<?> items) {
    StringBuilder out = new StringBuilder();
    boolean first = true;
    for (Object o : items) {
      out.append(first ? "" : sep).append(str(o));
      first = false;
    }
    return out.toString();
  }

  private static String str(Object o) {
    return String.valueOf(o);
  }
}
