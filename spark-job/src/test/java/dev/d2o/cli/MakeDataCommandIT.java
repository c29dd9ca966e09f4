package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.spark.testing.SparkTestBase;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MakeDataCommandIT extends SparkTestBase {
  static final List<String> SPLITS = List.of("train", "eval", "sft", "cost_train", "cost_test");

  @Test
  void sameSeedWritesIdenticalSplitsInBothFormats(@TempDir Path tmp) throws Exception {
    String[] args = {
      "--train", "120", "--eval", "30", "--merges", "50", "--no-cost-model", "--seed", "3"
    };
    assertEquals(0, D2oCli.run(concat("make-data", "--out", tmp.resolve("a").toString(), args)));
    assertEquals(0, D2oCli.run(concat("make-data", "--out", tmp.resolve("b").toString(), args)));
    for (String split : SPLITS) {
      Path a = tmp.resolve("a/harmless/" + split);
      Path b = tmp.resolve("b/harmless/" + split);
      assertArrayEquals(
          Files.readAllBytes(Path.of(a + ".jsonl")),
          Files.readAllBytes(Path.of(b + ".jsonl")),
          split);
      List<Row> pa = spark.read().parquet(a + ".parquet").collectAsList();
      List<Row> pb = spark.read().parquet(b + ".parquet").collectAsList();
      assertEquals(pa, pb, split);
      // Parquet and JSONL hold the same rows
      assertEquals(Files.readAllLines(Path.of(a + ".jsonl")).size(), pa.size(), split);
      assertEquals(
          spark.read().json(a + ".jsonl").select("id").collectAsList(),
          spark.read().parquet(a + ".parquet").select("id").collectAsList(),
          split);
    }
    assertEquals(
        120, spark.read().parquet(tmp.resolve("a/harmless/train.parquet").toString()).count());
    assertArrayEquals(
        Files.readAllBytes(tmp.resolve("a/tokenizer/tokenizer.json")),
        Files.readAllBytes(tmp.resolve("b/tokenizer/tokenizer.json")));
    String stats = Files.readString(tmp.resolve("a/harmless/stats.json"));
    assertTrue(stats.contains("\"sft_harmful_share\":0.45"), stats);
  }

  @Test
  void trainCostModelNamesTheMissingInput(@TempDir Path tmp) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc =
          D2oCli.run(
              "train-cost-model", "--data", tmp.toString(), "--out", tmp.resolve("m").toString());
    } finally {
      System.setErr(old);
    }
    assertEquals(1, rc);
    assertEquals(
        "d2o train-cost-model: error: missing "
            + tmp.resolve("cost_train.parquet")
            + " (run d2o make-data first)",
        err.toString(StandardCharsets.UTF_8).strip());
  }

  private static String[] concat(String cmd, String flag, String value, String[] rest) {
    String[] out = new String[rest.length + 3];
    out[0] = cmd;
    out[1] = flag;
    out[2] = value;
    System.arraycopy(rest, 0, out, 3, rest.length);
    return out;
  }
}
