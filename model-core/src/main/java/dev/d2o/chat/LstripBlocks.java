package dev.d2o.chat;

/**
 * jinja2's {@code lstrip_blocks}, applied to the template source before Jinjava parses it. jinja2
 * strips the spaces and tabs before a block or comment tag only when nothing else precedes the tag
 * on its line; Jinjava's own option strips them before every tag, also after text on the same line
 * ({@code "a {% if x %}"} loses its space), so the engine runs with the option off and this class
 * removes exactly what jinja2 would (the rule of jinja2's lexer: from the last newline of the text
 * before the tag, or from the start of the text when the previous token ended a line).
 */
final class LstripBlocks {
  private LstripBlocks() {}

  /** The source with the whitespace jinja2's lstrip_blocks removes taken out. */
  static String apply(String src) {
    StringBuilder out = new StringBuilder(src.length());
    int textStart = 0;
    boolean lineStarting = true; // jinja2: the template starts a line
    int i = 0;
    while (i < src.length()) {
      int open = nextTag(src, i);
      if (open < 0) {
        break;
      }
      char kind = src.charAt(open + 1); // '{', '%' or '#'
      char sign = open + 2 < src.length() ? src.charAt(open + 2) : 0;
      String text = src.substring(textStart, open);
      if (kind != '{' && sign != '-' && sign != '+') {
        int lineStart = text.lastIndexOf('\n') + 1;
        if ((lineStart > 0 || lineStarting) && text.substring(lineStart).isBlank()) {
          text = text.substring(0, lineStart);
        }
      }
      out.append(text);
      int close = tagEnd(src, open, kind);
      out.append(src, open, close);
      // What the previous token "ended a line" means for the next text, as jinja2's lexer sees it.
      boolean minus = src.charAt(close - 3) == '-';
      int after = close;
      if (minus) {
        while (after < src.length() && Character.isWhitespace(src.charAt(after))) {
          after++;
        }
        lineStarting = after > close && src.charAt(after - 1) == '\n';
      } else if (kind != '{' && after < src.length() && src.charAt(after) == '\n') {
        after++; // trim_blocks eats the newline after a block or comment tag
        lineStarting = true;
      } else {
        lineStarting = false;
      }
      out.append(src, close, after);
      textStart = after;
      i = after;
    }
    out.append(src.substring(textStart));
    return out.toString();
  }

  private static int nextTag(String src, int from) {
    for (int i = src.indexOf('{', from);
        i >= 0 && i + 1 < src.length();
        i = src.indexOf('{', i + 1)) {
      char c = src.charAt(i + 1);
      if (c == '{' || c == '%' || c == '#') {
        return i;
      }
    }
    return -1;
  }

  /** Index just past the tag opened at {@code open}; string literals may hold the closing pair. */
  private static int tagEnd(String src, int open, char kind) {
    if (kind == '#') {
      int end = src.indexOf("#}", open + 2);
      return end < 0 ? src.length() : end + 2;
    }
    char closer = kind == '{' ? '}' : '%';
    char quote = 0;
    for (int i = open + 2; i + 1 < src.length(); i++) {
      char c = src.charAt(i);
      if (quote != 0) {
        if (c == '\\') {
          i++;
        } else if (c == quote) {
          quote = 0;
        }
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == closer && src.charAt(i + 1) == '}') {
        return i + 2;
      }
    }
    return src.length();
  }
}
