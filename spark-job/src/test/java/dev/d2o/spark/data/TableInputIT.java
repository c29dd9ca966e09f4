package dev.d2o.spark.data;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.InputException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.testing.TinyModels;
import io.delta.tables.DeltaTable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Table directories as {@code data.input}: a real Delta Lake table, written and then deleted from
 * with Delta, is read with Delta's reader (only its live rows), never as loose Parquet; an Iceberg
 * table directory is refused. TableFormatsTest covers the refusals as pure functions, Delta's
 * absence included.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class TableInputIT {
  private static SparkSession spark;
  @TempDir Path tmp;

  /** Delta 3.x writes and reads only in a session with its extension and catalog. */
  private static SparkSession session(boolean delta) {
    SparkSession.Builder b =
        SparkSession.builder()
            .master("local[2]")
            .appName("d2o-test")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4");
    if (delta) {
      b.config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
          .config(
              "spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
    }
    return b.getOrCreate();
  }

  @BeforeAll
  static void start() {
    spark = session(true);
  }

  @AfterAll
  static void stop() {
    spark.stop();
  }

  /** Twelve rows p00..p11 in three Parquet files of a new Delta table. */
  private String deltaTable(String name) {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      String id = String.format("p%02d", i);
      rows.add(RowFactory.create(id, "prompt " + id, "negative " + id));
    }
    String table = tmp.resolve(name).toString();
    spark
        .createDataFrame(rows, InputData.SCHEMA)
        .repartition(3, col("id"))
        .write()
        .format("delta")
        .save(table);
    return table;
  }

  private static Set<String> ids(Dataset<Row> rows) {
    Set<String> ids = new TreeSet<>();
    rows.select("id").collectAsList().forEach(r -> ids.add(r.getString(0)));
    return ids;
  }

  private Set<String> expectedLive() {
    Set<String> live = new TreeSet<>();
    for (int i = 5; i < 12; i++) {
      live.add(String.format("p%02d", i));
    }
    return live;
  }

  @Test
  void aDeltaTableWithDeletedRowsIsReadWithDeltaOnlyItsLiveRows() throws Exception {
    String table = deltaTable("negatives");
    DeltaTable.forPath(spark, table).delete("id < 'p05'"); // p00..p04
    // the invariant the test stands on: the deleted rows are still in the table's Parquet files
    long loose = spark.read().parquet(table).count();
    assertTrue(loose > 7, "loose Parquet rows: " + loose);

    for (String format : List.of("auto", "delta")) {
      InputData.Loaded in =
          InputData.load(spark, table, format, tmp.resolve("rejects-" + format).toString());
      assertEquals(7, in.total(), format);
      assertEquals(expectedLive(), ids(in.valid()), format);
    }
    InputException e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, table, "parquet", tmp.resolve("r").toString()));
    assertEquals(
        "input "
            + table
            + " is a Delta Lake table (it has a _delta_log directory); data.format = parquet"
            + " would read its Parquet files directly, rows that Delta has deleted included. Set"
            + " data.format to delta or auto",
        e.getMessage());
  }

  @Test
  void theAnchorsStageRunsOnTheLiveRowsOfADeltaTable() throws Exception {
    String table = deltaTable("job-input");
    DeltaTable.forPath(spark, table).delete("id < 'p05'");
    Path model = TinyModels.writeRandom(TinyModels.gpt2(), 4, tmp.resolve("model"));
    JobConfig cfg =
        JobConfig.load(
            null,
            List.of(
                "model.path=" + model,
                "data.input=" + table,
                "run.dir=" + tmp.resolve("run"),
                "run.partitions=2",
                "anchors.numSamples=1",
                "anchors.maxNewTokens=2"));
    var summary = Pipeline.run(spark, cfg, Pipeline.Stage.ANCHORS, false, false);
    assertEquals(7, summary.get("input_rows").asInt(), summary.toString());
    Dataset<Row> anchors = spark.read().parquet(tmp.resolve("run/anchors").toString());
    assertEquals(expectedLive(), ids(anchors));
  }

  @Test
  void deletionVectorsAreAppliedToo() {
    // with deletion vectors Delta marks deleted rows in a side file and leaves the Parquet as it
    // was
    spark.conf().set("spark.databricks.delta.properties.defaults.enableDeletionVectors", "true");
    try {
      String table = deltaTable("with-dv");
      DeltaTable.forPath(spark, table).delete("id < 'p05'");
      long loose = spark.read().option("pathGlobFilter", "*.parquet").parquet(table).count();
      assertEquals(12, loose, "the Parquet files still hold every row");
      InputData.Loaded in = InputData.load(spark, table, "auto", tmp.resolve("r").toString());
      assertEquals(expectedLive(), ids(in.valid()));
    } finally {
      spark.conf().unset("spark.databricks.delta.properties.defaults.enableDeletionVectors");
    }
  }

  @Test
  void aFileInsideADeltaTableIsRefused() throws Exception {
    String table = deltaTable("parts");
    Path part;
    try (Stream<Path> files = Files.list(Path.of(table))) {
      part = files.filter(f -> f.toString().endsWith(".parquet")).findFirst().orElseThrow();
    }
    InputException e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, part.toString(), "auto", tmp.resolve("r").toString()));
    assertTrue(
        e.getMessage().startsWith("input " + part + " is inside the Delta Lake table file:"),
        e.getMessage());
  }

  @Test
  void anIcebergTableDirectoryIsRefusedNotReadAsParquet() throws Exception {
    // an Iceberg table's layout: data/*.parquet and metadata/vN.metadata.json
    Path table = tmp.resolve("iceberg");
    spark
        .createDataFrame(List.of(RowFactory.create("a", "prompt", "negative")), InputData.SCHEMA)
        .write()
        .parquet(table.resolve("data").toString());
    Files.createDirectories(table.resolve("metadata"));
    Files.writeString(table.resolve("metadata/v1.metadata.json"), "{\"format-version\": 2}");
    for (String format : List.of("auto", "parquet")) {
      InputException e =
          assertThrows(
              InputException.class,
              () -> InputData.load(spark, table.toString(), format, tmp.resolve("r").toString()));
      assertTrue(
          e.getMessage().startsWith("input " + table + " is an Apache Iceberg table (file:"),
          e.getMessage());
      assertTrue(e.getMessage().contains("d2o does not read Iceberg tables by path"));
    }
  }

  @Test
  @Order(Integer.MAX_VALUE) // last: it replaces the class's session with one without Delta's
  void aSessionWithoutDeltasExtensionIsToldHowToConfigureIt() {
    String table = deltaTable("unconfigured");
    spark.stop();
    spark = session(false);
    InputException e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, table, "auto", tmp.resolve("r").toString()));
    assertEquals(
        "input "
            + table
            + " cannot be read as delta (data.format = auto): Delta Lake is on the class path but"
            + " this SparkSession is not configured for it; add --conf"
            + " spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension --conf"
            + " spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog to"
            + " spark-submit",
        e.getMessage());
  }
}
