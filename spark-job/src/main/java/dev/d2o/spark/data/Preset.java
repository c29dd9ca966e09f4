package dev.d2o.spark.data;

import dev.d2o.chat.Message;
import dev.d2o.error.InputException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * {@code data.preset}: how the rows of a public data set's layout become D²O rows (prompt,
 * negative). Each preset names the columns it reads; the schema is checked before any work, and an
 * input row that gives no D²O row is counted with its reason ({@link Converted#skip}).
 *
 * <ul>
 *   <li>{@code pku-saferlhf}: PKU-Alignment/PKU-SafeRLHF ({@code prompt}, {@code response_0},
 *       {@code response_1}, {@code is_response_0_safe}, {@code is_response_1_safe}): one row per
 *       unsafe response, with the id {@code <id>/response_<i>}; a row with no unsafe response is
 *       skipped;
 *   <li>{@code hh-rlhf}: Anthropic/hh-rlhf ({@code chosen}, {@code rejected} transcripts): the
 *       shared turns as a conversation and the rejected last answer ({@link HhTranscript});
 *   <li>{@code trl-preference}: TRL's preference type ({@code prompt} (optional), {@code chosen},
 *       {@code rejected}, strings or message lists; {@link TrlRows});
 *   <li>{@code trl-unpaired}: TRL's unpaired preference type ({@code prompt}, {@code completion},
 *       {@code label}): the rows labelled false.
 * </ul>
 */
enum Preset {
  NONE(List.of()),
  PKU_SAFERLHF(
      List.of("prompt", "response_0", "response_1", "is_response_0_safe", "is_response_1_safe")),
  HH_RLHF(List.of("chosen", "rejected")),
  TRL_PREFERENCE(List.of("rejected")),
  TRL_UNPAIRED(List.of("prompt", "completion", "label"));

  private final List<String> required;

  Preset(List<String> required) {
    this.required = required;
  }

  /** The configuration spelling, e.g. {@code pku-saferlhf}. */
  String key() {
    return name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** The preset named {@code key} ({@code data.preset} validated the name already). */
  static Preset parse(String key) {
    for (Preset p : values()) {
      if (p.key().equals(key)) {
        return p;
      }
    }
    throw new IllegalArgumentException("unknown data.preset '" + key + "'");
  }

  /** The input columns this preset reads (besides the id). */
  List<String> columns(StructType s) {
    List<String> names = Arrays.asList(s.fieldNames());
    List<String> out = new ArrayList<>(required);
    if (this == TRL_PREFERENCE) {
      if (names.contains("prompt")) {
        out.add(0, "prompt");
      } else {
        out.add(0, "chosen"); // an implicit prompt is the common start of chosen and rejected
      }
    }
    return out;
  }

  /**
   * Checks that {@code s} has this preset's columns with usable types; the error names the preset,
   * what is missing or wrong, and the schema found.
   */
  void check(StructType s, String location) {
    List<String> names = Arrays.asList(s.fieldNames());
    List<String> wanted = columns(s);
    List<String> missing = wanted.stream().filter(c -> !names.contains(c)).toList();
    if (!missing.isEmpty()) {
      throw new InputException(
          "input "
              + location
              + " (data.preset = "
              + key()
              + ") has no column "
              + String.join(", ", missing.stream().map(c -> "'" + c + "'").toList())
              + "; the preset reads "
              + String.join(", ", wanted)
              + (this == TRL_PREFERENCE ? " (and 'chosen' when there is no 'prompt')" : "")
              + "; found schema: "
              + s.simpleString());
    }
    DataType textKind = null;
    for (String c : wanted) {
      DataType t = s.apply(c).dataType();
      boolean flag = c.startsWith("is_response_") || c.equals("label");
      if (flag && !t.equals(DataTypes.BooleanType)) {
        throw wrongType(location, c, t, "boolean");
      }
      if (!flag && !t.equals(DataTypes.StringType) && !isMessages(t)) {
        throw wrongType(location, c, t, textTypes());
      }
      if (!flag && (this == PKU_SAFERLHF || this == HH_RLHF) && isMessages(t)) {
        throw wrongType(location, c, t, "string");
      }
      if (!flag && textKind != null && !sameKind(textKind, t)) {
        throw new InputException(
            "input "
                + location
                + " (data.preset = "
                + key()
                + "): columns "
                + wanted
                + " mix strings and message lists (found "
                + s.simpleString()
                + "); expected all strings (TRL's standard format) or all lists of {role,"
                + " content} (conversational)");
      }
      textKind = flag ? textKind : t;
    }
  }

  /** The D²O rows of one input row. */
  List<Converted> convert(Row r) {
    return switch (this) {
      case PKU_SAFERLHF -> pku(r);
      case HH_RLHF -> List.of(hh(r));
      case TRL_PREFERENCE ->
          List.of(
              TrlRows.preference(
                  has(r, "prompt") ? value(r, "prompt") : null,
                  has(r, "chosen") ? value(r, "chosen") : null,
                  value(r, "rejected")));
      case TRL_UNPAIRED ->
          List.of(
              TrlRows.unpaired(
                  value(r, "prompt"),
                  value(r, "completion"),
                  r.isNullAt(r.fieldIndex("label")) ? null : r.getAs("label")));
      case NONE -> throw new IllegalStateException("preset none converts no rows");
    };
  }

  private static List<Converted> pku(Row r) {
    List<Converted> out = new ArrayList<>(2);
    String prompt = r.getAs("prompt");
    for (int i = 0; i < 2; i++) {
      String flag = "is_response_" + i + "_safe";
      if (r.isNullAt(r.fieldIndex(flag))) {
        return List.of(
            Converted.skip("pku-saferlhf: " + flag + " is null (expected true or false)"));
      }
      if (!(Boolean) r.getAs(flag)) {
        out.add(Converted.text(prompt, r.getAs("response_" + i)).withIdSuffix("/response_" + i));
      }
    }
    return out.isEmpty()
        ? List.of(Converted.skip("pku-saferlhf: no unsafe response (both are labelled safe)"))
        : out;
  }

  private static Converted hh(Row r) {
    String chosen = r.getAs("chosen");
    String rejected = r.getAs("rejected");
    if (chosen == null || rejected == null) {
      return Converted.skip("hh-rlhf: " + (chosen == null ? "chosen" : "rejected") + " is null");
    }
    return HhTranscript.parse(chosen, rejected);
  }

  private static boolean has(Row r, String name) {
    return Arrays.asList(r.schema().fieldNames()).contains(name);
  }

  /** A text or messages column's value; a message with an unknown role or no content is named. */
  private static TrlRows.Value value(Row r, String column) {
    int i = r.fieldIndex(column);
    if (r.isNullAt(i)) {
      return new TrlRows.Value(null, null, null);
    }
    Object v = r.get(i);
    if (v instanceof String s) {
      return new TrlRows.Value(s, null, null);
    }
    List<Object> structs = r.getList(i);
    List<Message> messages = new ArrayList<>(structs.size());
    for (int j = 0; j < structs.size(); j++) {
      Row m = (Row) structs.get(j);
      String role = m == null ? null : m.getAs("role");
      String content = m == null ? null : m.getAs("content");
      String where = column + "[" + j + "]";
      if (role == null || content == null) {
        return new TrlRows.Value(
            null, null, where + " has no " + (role == null ? "role" : "content"));
      }
      if (!Message.ROLES.contains(role)) {
        return new TrlRows.Value(
            null,
            null,
            where + " has the unknown role '" + role + "' (expected one of " + Message.ROLES + ")");
      }
      messages.add(new Message(role, content));
    }
    return new TrlRows.Value(null, messages, null);
  }

  /** A list of structs with string {@code role} and {@code content} fields. */
  static boolean isMessages(DataType t) {
    if (!(t instanceof ArrayType a) || !(a.elementType() instanceof StructType e)) {
      return false;
    }
    List<String> fields = Arrays.asList(e.fieldNames());
    return fields.contains("role")
        && fields.contains("content")
        && e.apply("role").dataType().equals(DataTypes.StringType)
        && e.apply("content").dataType().equals(DataTypes.StringType);
  }

  private static boolean sameKind(DataType a, DataType b) {
    return isMessages(a) == isMessages(b);
  }

  private static String textTypes() {
    return "a string or a list of {role: string, content: string}";
  }

  private InputException wrongType(String location, String column, DataType t, String expected) {
    return new InputException(
        "input "
            + location
            + " (data.preset = "
            + key()
            + "): column '"
            + column
            + "' has type "
            + t.simpleString()
            + "; expected "
            + expected);
  }
}
