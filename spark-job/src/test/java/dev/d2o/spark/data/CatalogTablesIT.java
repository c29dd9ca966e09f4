package dev.d2o.spark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.d2o.error.InputException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.Prompts;
import dev.d2o.testing.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code data.input = table:...} and {@code run.anchorsTable} on Spark's own catalog, with its
 * warehouse in a temporary directory (what a Hive metastore or Unity Catalog does on a cluster).
 */
class CatalogTablesIT {
  @TempDir static Path tmp;
  static SparkSession spark;

  @BeforeAll
  static void startSpark() {
    spark =
        SparkSession.builder()
            .master("local[2]")
            .appName("catalog-tables-it")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "4")
            .config("spark.sql.warehouse.dir", tmp.resolve("warehouse").toString())
            .getOrCreate();
  }

  @AfterAll
  static void stopSpark() {
    spark.stop();
  }

  @Test
  void promptsFromATableAndAnchorsSavedAsATable() throws Exception {
    Path file = Prompts.writeJsonl(tmp.resolve("in.jsonl"), 6);
    spark.read().json(file.toString()).write().saveAsTable("default.prompts");
    InputData.Loaded fromTable =
        InputData.load(
            spark,
            "table:default.prompts",
            tmp.resolve("r1").toString(),
            InputOptions.format("auto"));
    InputData.Loaded fromFile =
        InputData.load(
            spark, file.toString(), tmp.resolve("r2").toString(), InputOptions.format("auto"));
    assertEquals(
        fromFile.valid().orderBy("id").collectAsList(),
        fromTable.valid().orderBy("id").collectAsList());

    Path model = TinyModels.writeRandom(TinyModels.llama(), 2, tmp.resolve("model"));
    JobConfig cfg =
        JobConfig.load(
            null,
            List.of(
                "model.path=" + model,
                "data.input=table:default.prompts",
                "run.dir=" + tmp.resolve("run"),
                "run.anchorsTable=default.d2o_anchors",
                "anchors.numSamples=2",
                "anchors.maxNewTokens=4"));
    var summary = Pipeline.run(spark, cfg, Pipeline.Stage.ANCHORS, false, false);
    assertEquals("default.d2o_anchors", summary.get("anchors_table").asText());
    var table = spark.table("default.d2o_anchors");
    assertEquals(6, table.count());
    assertTrue(Arrays.asList(table.columns()).containsAll(List.of("id", "anchors", "prompt_text")));
    assertTrue(
        tmp.resolve("warehouse").resolve("d2o_anchors").toFile().isDirectory(),
        "saved in the catalog's warehouse");
  }

  @Test
  void aMissingTableNamesItself() {
    InputException e =
        assertThrows(
            InputException.class,
            () ->
                InputData.load(
                    spark,
                    "table:default.nope",
                    tmp.resolve("r").toString(),
                    InputOptions.format("auto")));
    assertTrue(
        e.getMessage()
            .startsWith(
                "input table:default.nope: cannot read the catalog table 'default.nope': [TABLE_OR_VIEW_NOT_FOUND]"),
        e.getMessage());
    assertEquals(
        "input 'table:' names no table; expected table:catalog.schema.name",
        assertThrows(
                InputException.class,
                () -> InputData.load(spark, "table:", "r", InputOptions.format("auto")))
            .getMessage());
  }
}
