package dev.d2o.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Python's json.dumps, str methods and lstrip_blocks rule, with expected values from CPython 3
 * (shown in comments as the expression that gives them).
 */
class PythonSemanticsTest {
  @Test
  void floatsPrintAsPythonRepr() {
    // [repr(x) for x in (0.1, 1e-05, 0.0001, 1e16, 123456789012345.6, -2.5e-07, 1.0, -0.0)]
    double[] xs = {0.1, 1e-05, 0.0001, 1e16, 123456789012345.6, -2.5e-07, 1.0, -0.0};
    String[] py = {
      "0.1", "1e-05", "0.0001", "1e+16", "123456789012345.6", "-2.5e-07", "1.0", "-0.0"
    };
    for (int i = 0; i < xs.length; i++) {
      assertEquals(py[i], PyJson.floatRepr(xs[i]), "repr(" + xs[i] + ")");
    }
  }

  @Test
  void jsonDumpsKeepsNonAsciiAndEscapesControls() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("k", "é\u0001\n\"");
    m.put("l", Arrays.asList(1, null, true));
    // json.dumps({"k": "é\x01\n\"", "l": [1, None, True]}, ensure_ascii=False)
    assertEquals(
        "{\"k\": \"é\\u0001\\n\\\"\", \"l\": [1, null, true]}",
        new PyJson(null, null, false).dumps(m));
    // json.dumps(..., ensure_ascii=False, indent=2)
    assertEquals(
        "{\n  \"k\": \"é\\u0001\\n\\\"\",\n  \"l\": [\n    1,\n    null,\n    true\n  ]\n}",
        new PyJson(2, null, false).dumps(m));
  }

  @Test
  void stringMethodsFollowPython() {
    // " a  b ".split() == ['a', 'b']; "a,,b".split(",") == ['a', '', 'b']; "a b c".split(" ", 1)
    assertEquals(List.of("a", "b"), PyStrings.split(" a  b ", new Object[0]));
    assertEquals(List.of("a", "", "b"), PyStrings.split("a,,b", new Object[] {","}));
    assertEquals(List.of("a", "b c"), PyStrings.split("a b c", new Object[] {" ", 1}));
    assertEquals(List.of("a", "b  c "), PyStrings.split("  a b  c ", new Object[] {null, 1}));
    // "they're bill's o'neil".title()
    assertEquals("They'Re Bill'S O'Neil", PyStrings.title("they're bill's o'neil"));
    // "\u3000x\u00a0".strip() == "x" (Python's whitespace includes both; Java's trim() neither)
    assertEquals("x", PyStrings.strip("\u3000x\u00a0", null, true, true));
    assertEquals("x..", PyStrings.strip("..x..", ".", true, false));
    assertEquals("Hello", PyStrings.call("hello", "capitalize", new Object[0]));
    assertEquals(
        Boolean.TRUE, PyStrings.call("abc", "startswith", new Object[] {List.of("x", "a")}));
    assertEquals("a-b", PyStrings.call("-", "join", new Object[] {List.of("a", "b")}));
    assertTrue(PyStrings.isSpace(0x2028));
    assertFalse(PyStrings.isSpace(0x200b)); // zero-width space is not whitespace in Python
  }

  @Test
  void lstripBlocksOnlyStripsIndentationBeforeATagThatStartsItsLine() {
    assertEquals("a {% if x %}", LstripBlocks.apply("a {% if x %}"));
    assertEquals("a\n{% if x %}", LstripBlocks.apply("a\n   {% if x %}"));
    assertEquals("{% if x %}", LstripBlocks.apply("  \t{% if x %}"));
    assertEquals("a\n  {{ x }}", LstripBlocks.apply("a\n  {{ x }}")); // not for expressions
    assertEquals("a\n  {%- if x %}", LstripBlocks.apply("a\n  {%- if x %}")); // '-' does it
    // A string literal holding the closing pair does not end the tag.
    assertEquals("{{ \"}}\" }}\n{% endif %}", LstripBlocks.apply("{{ \"}}\" }}\n  {% endif %}"));
    // After a block tag, trim_blocks ate the newline: the next line's indentation is stripped.
    assertEquals("{% if x %}\n{% endif %}", LstripBlocks.apply("{% if x %}\n    {% endif %}"));
  }
}
