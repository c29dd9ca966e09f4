package dev.d2o.spark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.InputException;
import dev.d2o.spark.data.TableFormats.Layout;
import dev.d2o.spark.data.TableFormats.Table;
import java.nio.file.Files;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which reader reads an input path, as a pure function of the path's layout and whether Delta Lake
 * is on the class path (its absence is simulated here: the test class path has Delta).
 */
class TableFormatsTest {
  private static final String LOC = "/data/negatives";
  private static final Table DELTA = new Table(Layout.DELTA, new Path(LOC), false);
  private static final Table ICEBERG = new Table(Layout.ICEBERG, new Path(LOC), false);
  private static final Table FILES = new Table(Layout.FILES, new Path(LOC), false);

  @TempDir java.nio.file.Path tmp;

  private static String format(String configured, Table table, boolean delta) {
    return TableFormats.format(LOC, configured, table, delta, TableFormats.DELTA_PACKAGE);
  }

  private static String refusal(String configured, Table table, boolean delta) {
    return assertThrows(InputException.class, () -> format(configured, table, delta)).getMessage();
  }

  @Test
  void aDeltaTableIsReadWithDeltaWhenDeltaIsOnTheClassPath() {
    assertEquals("delta", format("auto", DELTA, true));
    assertEquals("delta", format("delta", DELTA, true));
  }

  @Test
  void withoutDeltaOnTheClassPathADeltaTableIsRefusedSayingHowToReadIt() {
    String expected =
        "input /data/negatives is a Delta Lake table (it has a _delta_log directory), and Delta"
            + " Lake is not on the class path; reading its Parquet files directly would also read"
            + " rows that Delta has deleted. Add Delta Lake to the job: spark-submit --packages"
            + " io.delta:delta-spark_2.12:3.3.2 --conf"
            + " spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension --conf"
            + " spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog"
            + " (Databricks runtimes include Delta), or export the table to Parquet or JSONL";
    assertEquals(expected, refusal("auto", DELTA, false));
    assertEquals(expected, refusal("delta", DELTA, false));
  }

  @Test
  void aDeltaTableIsNeverReadAsLooseFiles() {
    assertEquals(
        "input /data/negatives is a Delta Lake table (it has a _delta_log directory); data.format"
            + " = parquet would read its Parquet files directly, rows that Delta has deleted"
            + " included. Set data.format to delta or auto",
        refusal("parquet", DELTA, true));
    assertTrue(refusal("jsonl", DELTA, true).contains("data.format = jsonl would read"));
    Table inside = new Table(Layout.DELTA, new Path("/data"), true);
    assertEquals(
        "input /data/negatives is inside the Delta Lake table /data (it has a _delta_log"
            + " directory); reading part of a table as loose files would also read rows that"
            + " Delta has deleted. Give the table's directory /data as data.input",
        refusal("auto", inside, true));
  }

  @Test
  void anIcebergTableIsRefusedWhateverTheFormatSayingHowToReadIt() {
    String expected =
        "input /data/negatives is an Apache Iceberg table"
            + " (/data/negatives/metadata/*.metadata.json); d2o does not read Iceberg tables by"
            + " path: its data files also hold deleted rows and old snapshots, and which metadata"
            + " file is current is known to the table's catalog. Export the table's current"
            + " snapshot with the Iceberg runtime and its catalog, e.g."
            + " spark.table(\"catalog.db.table\").write().parquet(\"...\"), and give that as"
            + " data.input";
    for (String configured : new String[] {"auto", "parquet", "jsonl", "delta"}) {
      assertEquals(expected, refusal(configured, ICEBERG, true), configured);
    }
    Table inside = new Table(Layout.ICEBERG, new Path("/data"), true);
    assertTrue(
        refusal("auto", inside, false)
            .startsWith("input /data/negatives is inside an Apache Iceberg table (/data/metadata"));
  }

  @Test
  void plainFilesGoByFormatOrExtensionAndDeltaNeedsATable() {
    assertEquals("parquet", format("auto", FILES, true));
    assertEquals("jsonl", format("jsonl", FILES, false));
    assertEquals(
        "jsonl",
        TableFormats.format(
            "in.jsonl", "auto", new Table(Layout.FILES, new Path("in.jsonl"), false), false, ""));
    assertEquals(
        "input /data/negatives is not a Delta Lake table (no _delta_log directory); data.format"
            + " = delta needs one. Set data.format to auto, parquet or jsonl",
        refusal("delta", FILES, true));
  }

  @Test
  void layoutFindsTablesAtThePathOrAboveIt() throws Exception {
    FileSystem fs = FileSystem.getLocal(new Configuration());
    java.nio.file.Path plain = Files.createDirectories(tmp.resolve("plain"));
    Files.writeString(plain.resolve("part-0.parquet"), "x");
    Files.createDirectories(plain.resolve("metadata")); // a folder named metadata is not Iceberg
    Files.writeString(plain.resolve("metadata/notes.json"), "{}");
    assertEquals(Layout.FILES, TableFormats.layout(fs, path(plain)).layout());

    java.nio.file.Path delta = Files.createDirectories(tmp.resolve("delta/_delta_log"));
    Files.writeString(delta.resolve("00000000000000000000.json"), "{}");
    Files.writeString(tmp.resolve("delta/part-0.parquet"), "x");
    assertLayout(Layout.DELTA, "delta", false, fs, "delta");
    assertLayout(Layout.DELTA, "delta", true, fs, "delta/part-0.parquet");

    java.nio.file.Path iceberg = Files.createDirectories(tmp.resolve("iceberg/metadata"));
    Files.writeString(iceberg.resolve("v1.metadata.json"), "{}");
    Files.createDirectories(tmp.resolve("iceberg/data"));
    assertLayout(Layout.ICEBERG, "iceberg", false, fs, "iceberg");
    assertLayout(Layout.ICEBERG, "iceberg", true, fs, "iceberg/data");
  }

  private void assertLayout(
      Layout layout, String root, boolean inside, FileSystem fs, String input) {
    Table t = TableFormats.layout(fs, path(tmp.resolve(input)));
    assertEquals(layout, t.layout(), input);
    assertEquals(tmp.resolve(root).toString(), t.root().toUri().getPath(), input);
    assertEquals(inside, t.inside(), input);
  }

  private static Path path(java.nio.file.Path p) {
    return new Path("file://" + p);
  }
}
