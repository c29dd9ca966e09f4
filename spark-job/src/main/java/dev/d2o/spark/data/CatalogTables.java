package dev.d2o.spark.data;

import dev.d2o.error.InputException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Catalog tables (Hive metastore, Unity Catalog, Spark's own catalog): {@code data.input = "table:
 * catalog.schema.name"} reads one with {@code spark.read().table}, and {@code run.anchorsTable}
 * saves the anchors as one with {@code saveAsTable}, so a Databricks or Hive user needs no file
 * paths. The session's catalog resolves the name, as in {@code spark.table(...)}; the table's
 * format is the catalog's (Delta on Databricks, Parquet by default elsewhere).
 */
public final class CatalogTables {
  private CatalogTables() {}

  /** Reads the table {@code name} ({@code location} is how the configuration named it). */
  static Dataset<Row> read(SparkSession spark, String name, String location) {
    if (name.isBlank()) {
      throw new InputException(
          "input '" + location + "' names no table; expected table:catalog.schema.name");
    }
    try {
      return spark.read().table(name);
    } catch (Exception e) { // Spark's AnalysisException (TABLE_OR_VIEW_NOT_FOUND) is checked
      throw new InputException(
          "input " + location + ": cannot read the catalog table '" + name + "': " + firstLine(e),
          e);
    }
  }

  /** Saves {@code rows} as the table {@code name}, replacing it when it exists. */
  public static void save(Dataset<Row> rows, String name) {
    try {
      rows.write().mode(SaveMode.Overwrite).saveAsTable(name);
    } catch (Exception e) { // AnalysisException: no such schema or catalog, a view of that name
      throw new InputException(
          "run.anchorsTable = " + name + ": cannot save the anchors as a table: " + firstLine(e),
          e);
    }
  }

  /** Whether the catalog has a table {@code name}. */
  public static boolean exists(SparkSession spark, String name) {
    return spark.catalog().tableExists(name);
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.toString() : e.getMessage();
    return m.lines().findFirst().orElse(m);
  }
}
