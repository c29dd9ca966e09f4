package dev.d2o.chat;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Python's {@code json.dumps(x, ensure_ascii=False, indent=..., separators=..., sort_keys=...)}:
 * the {@code tojson} filter Hugging Face installs for chat templates. Jackson's output differs from
 * Python's (separators, float spelling), and a template's output must match byte for byte.
 */
final class PyJson {
  private final Integer indent;
  private final String itemSeparator;
  private final String keySeparator;
  private final boolean sortKeys;

  /**
   * @param indent spaces per level, or null for one line (Python's {@code indent=None})
   * @param separators {@code [item, key]} separators, or null for Python's default
   */
  PyJson(Integer indent, List<String> separators, boolean sortKeys) {
    this.indent = indent;
    if (separators != null) {
      this.itemSeparator = separators.get(0);
      this.keySeparator = separators.get(1);
    } else {
      // Python's default: ", " on one line, "," when indenting (the newline separates items).
      this.itemSeparator = indent == null ? ", " : ",";
      this.keySeparator = ": ";
    }
    this.sortKeys = sortKeys;
  }

  String dumps(Object value) {
    StringBuilder out = new StringBuilder();
    write(value, 0, out);
    return out.toString();
  }

  private void write(Object v, int level, StringBuilder out) {
    if (v == null) {
      out.append("null");
    } else if (v instanceof Boolean b) {
      out.append(b ? "true" : "false");
    } else if (v instanceof CharSequence s) {
      quote(s.toString(), out);
    } else if (v instanceof Integer || v instanceof Long || v instanceof BigInteger) {
      out.append(v);
    } else if (v instanceof Number n) {
      out.append(floatRepr(n.doubleValue()));
    } else if (v instanceof Map<?, ?> m) {
      writeMap(m, level, out);
    } else if (v instanceof Iterable<?> it) {
      List<Object> items = new ArrayList<>();
      it.forEach(items::add);
      writeList(items, level, out);
    } else if (v instanceof Object[] a) {
      writeList(List.of(a), level, out);
    } else {
      throw new IllegalArgumentException(
          "Object of type " + v.getClass().getSimpleName() + " is not JSON serializable");
    }
  }

  private void writeMap(Map<?, ?> m, int level, StringBuilder out) {
    if (m.isEmpty()) {
      out.append("{}");
      return;
    }
    List<Map.Entry<?, ?>> entries = new ArrayList<>(m.entrySet());
    if (sortKeys) {
      entries.sort((a, b) -> String.valueOf(a.getKey()).compareTo(String.valueOf(b.getKey())));
    }
    out.append('{');
    for (int i = 0; i < entries.size(); i++) {
      out.append(i == 0 ? "" : itemSeparator);
      newline(level + 1, out);
      quote(String.valueOf(entries.get(i).getKey()), out);
      out.append(keySeparator);
      write(entries.get(i).getValue(), level + 1, out);
    }
    newline(level, out);
    out.append('}');
  }

  private void writeList(List<?> items, int level, StringBuilder out) {
    if (items.isEmpty()) {
      out.append("[]");
      return;
    }
    out.append('[');
    for (int i = 0; i < items.size(); i++) {
      out.append(i == 0 ? "" : itemSeparator);
      newline(level + 1, out);
      write(items.get(i), level + 1, out);
    }
    newline(level, out);
    out.append(']');
  }

  private void newline(int level, StringBuilder out) {
    if (indent != null) {
      out.append('\n').append(" ".repeat(indent * level));
    }
  }

  /** JSON string escaping as Python's with ensure_ascii=False: only quotes, backslash, controls. */
  static void quote(String s, StringBuilder out) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> out.append("\\\"");
        case '\\' -> out.append("\\\\");
        case '\n' -> out.append("\\n");
        case '\r' -> out.append("\\r");
        case '\t' -> out.append("\\t");
        case '\b' -> out.append("\\b");
        case '\f' -> out.append("\\f");
        default -> {
          if (c < 0x20) {
            out.append(String.format("\\u%04x", (int) c));
          } else {
            out.append(c);
          }
        }
      }
    }
    out.append('"');
  }

  /** Python's {@code repr(float)}: shortest round-trip digits, {@code 1e-05}, {@code 1e+16}. */
  static String floatRepr(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return (1 / d < 0) ? "-0.0" : "0.0";
    }
    // Double.toString gives the shortest digits that round-trip (JDK 19+; close enough before).
    BigDecimal bd = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    int exponent = bd.precision() - bd.scale() - 1; // position of the leading digit
    if (exponent >= -4 && exponent < 16) {
      String plain = bd.toPlainString();
      return plain.contains(".") ? plain : plain + ".0";
    }
    String digits = bd.unscaledValue().abs().toString();
    String mantissa = digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
    String exp = String.format("%s%02d", exponent < 0 ? "-" : "+", Math.abs(exponent));
    return (d < 0 ? "-" : "") + mantissa + "e" + exp;
  }
}
