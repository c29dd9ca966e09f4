package dev.d2o.spark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.InputException;
import dev.d2o.spark.testing.SparkTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Input schema checks, aliases, ids and rejected rows. */
class InputDataIT extends SparkTestBase {
  @TempDir Path tmp;

  private Path jsonl(String name, String content) throws Exception {
    Path p = tmp.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  @Test
  void badRowsAreCountedByReasonAndWrittenToRejects() throws Exception {
    Path in =
        jsonl(
            "in.jsonl",
            """
        {"id": "a", "prompt": "How do I stay safe online?", "negative": "Share your password."}
        {"id": "b", "prompt": "   ", "negative": "x"}
        {"id": "c", "prompt": "Tell me a joke", "negative": null}
        {"id": "d", "prompt": "Help", "negative": ""}
        {"id": "e", "prompt": "Fine question", "negative": "Bad answer"}
        {"id": "f", "prompt": "broken
        """);
    InputData.Loaded l =
        InputData.load(spark, in.toString(), "auto", tmp.resolve("rejects").toString());
    assertEquals(6, l.total());
    assertEquals(
        Map.of(
            "empty prompt",
            1L,
            "null negative",
            1L,
            "empty negative",
            1L,
            "malformed JSON line",
            1L),
        l.rejected());
    List<Row> valid = l.valid().orderBy("id").collectAsList();
    assertEquals(List.of("a", "e"), valid.stream().map(r -> r.getString(0)).toList());
    long written = spark.read().json(tmp.resolve("rejects").toString()).count();
    assertEquals(4, written, "every rejected row is written with its reason");
  }

  @Test
  void rejectedIsAnAliasAndIdsAreAssignedByPositionWhenAbsent() throws Exception {
    Path in =
        jsonl(
            "alias.jsonl",
            """
        {"prompt": "p1", "rejected": "n1"}
        {"prompt": "p2", "rejected": "n2"}
        """);
    InputData.Loaded l =
        InputData.load(spark, in.toString(), "jsonl", tmp.resolve("r2").toString());
    List<Row> rows = l.valid().orderBy("id").collectAsList();
    assertEquals("row-0", rows.get(0).getString(0));
    assertEquals("n2", rows.get(1).getString(2));
  }

  @Test
  void heldOutRowsKeepTheirOwnHelpfulAnswerWithOrWithoutIds() throws Exception {
    Path withIds =
        jsonl(
            "held-out.jsonl",
            """
        {"id": "x", "prompt": "", "negative": "n0", "helpful": "from the rejected row"}
        {"id": "x", "prompt": "p1", "negative": "n1", "helpful": "h1"}
        {"id": "y", "prompt": "p2", "negative": "n2"}
        """);
    InputData.Loaded l =
        InputData.load(
            spark, withIds.toString(), "auto", tmp.resolve("r5").toString(), InputColumns.HELD_OUT);
    assertEquals(Map.of("empty prompt", 1L), l.rejected());
    List<Row> rows = l.valid().orderBy("id").collectAsList();
    assertEquals(List.of("id", "prompt", "negative", "helpful"), List.of(l.valid().columns()));
    assertEquals(
        "h1", rows.get(0).getString(3), "the valid row's own answer, not the rejected one's");
    assertTrue(rows.get(1).isNullAt(3));
    Path noIds =
        jsonl("no-ids.jsonl", "{\"prompt\": \"p\", \"negative\": \"n\", \"helpful\": \"h\"}\n");
    Row only =
        InputData.load(spark, noIds.toString(), "auto", "x", InputColumns.HELD_OUT).valid().first();
    assertEquals(
        List.of("row-0", "p", "n", "h"),
        List.of(only.getString(0), only.getString(1), only.getString(2), only.getString(3)));
    assertEquals(
        3,
        InputData.load(spark, noIds.toString(), "auto", "x").valid().columns().length,
        "training prompts keep no helpful column");
    Path wrongType =
        jsonl("wrong.jsonl", "{\"prompt\": \"p\", \"negative\": \"n\", \"helpful\": 3}\n");
    InputException e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, wrongType.toString(), "auto", "x", InputColumns.HELD_OUT));
    assertEquals(
        "input " + wrongType + ": column 'helpful' has type bigint; expected string",
        e.getMessage());
  }

  @Test
  void parquetInputWithIntegerIds() throws Exception {
    Path src = jsonl("src.jsonl", "{\"id\": 7, \"prompt\": \"p\", \"negative\": \"n\"}\n");
    String parquet = tmp.resolve("in.parquet").toString();
    spark.read().json(src.toString()).write().parquet(parquet);
    InputData.Loaded l = InputData.load(spark, parquet, "auto", tmp.resolve("r3").toString());
    assertEquals("7", l.valid().first().getString(0));
  }

  @Test
  void missingInputMissingColumnAndWrongType() throws Exception {
    InputException e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, tmp.resolve("nope.jsonl").toString(), "auto", "x"));
    assertEquals("input not found: " + tmp.resolve("nope.jsonl") + " (data.input)", e.getMessage());

    Path noNeg = jsonl("noneg.jsonl", "{\"prompt\": \"p\", \"answer\": \"a\"}\n");
    e =
        assertThrows(
            InputException.class, () -> InputData.load(spark, noNeg.toString(), "auto", "x"));
    assertEquals(
        "input "
            + noNeg
            + " has no 'negative' (or its alias 'rejected') column; found schema:"
            + " struct<answer:string,prompt:string>",
        e.getMessage());

    Path wrongType = jsonl("type.jsonl", "{\"prompt\": 5, \"negative\": \"n\"}\n");
    e =
        assertThrows(
            InputException.class, () -> InputData.load(spark, wrongType.toString(), "auto", "x"));
    assertEquals(
        "input " + wrongType + ": column 'prompt' has type bigint; expected string",
        e.getMessage());
  }

  @Test
  void duplicateIdsAreRefused() throws Exception {
    Path in =
        jsonl(
            "dup.jsonl",
            "{\"id\": \"x\", \"prompt\": \"p\", \"negative\": \"n\"}\n"
                + "{\"id\": \"x\", \"prompt\": \"q\", \"negative\": \"m\"}\n");
    InputException e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, in.toString(), "auto", tmp.resolve("r4").toString()));
    assertTrue(
        e.getMessage()
            .endsWith(
                "has duplicate ids: 'x' (2 rows); ids seed anchor sampling and must be"
                    + " unique"),
        e.getMessage());
  }
}
