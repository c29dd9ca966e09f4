package dev.d2o.spark.data;

import dev.d2o.error.InputException;
import dev.d2o.spark.io.HadoopFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.execution.datasources.DataSource;
import org.apache.spark.sql.internal.SQLConf;

/**
 * Which reader reads an input path. A Delta Lake table ({@code _delta_log/} beside its Parquet
 * files) is read with Delta's reader, which applies the log; an Apache Iceberg table ({@code
 * metadata/*.metadata.json}) is refused. Neither is ever read as loose Parquet: both keep the files
 * of deleted rows and old versions next to the live ones, so a Parquet reader would silently read
 * rows the table no longer has. Plain files are Parquet or JSONL, by {@code data.format} or their
 * extension.
 */
public final class TableFormats {
  /** What a path is on disk. */
  public enum Layout {
    /** Parquet or JSONL files, or a directory of them. */
    FILES,
    /** A Delta Lake table directory, or a path inside one. */
    DELTA,
    /** An Apache Iceberg table directory, or a path inside one. */
    ICEBERG
  }

  /**
   * A path's layout and, for a table, the table's root directory.
   *
   * @param layout files or which table format
   * @param root the table's directory (the path itself for files)
   * @param inside whether the path is below the table's directory rather than the directory
   */
  public record Table(Layout layout, Path root, boolean inside) {}

  /** Delta's error class for a session without its extension and catalog. */
  static final String SESSION_NOT_CONFIGURED =
      "DELTA_CONFIGURE_SPARK_SESSION_WITH_EXTENSION_AND_CATALOG";

  /** The session settings Delta Lake needs (Delta's own quick start). */
  static final String DELTA_SESSION_CONF =
      "spark.sql.extensions=io.delta.sql.DeltaSparkSessionExtension --conf"
          + " spark.sql.catalog.spark_catalog=org.apache.spark.sql.delta.catalog.DeltaCatalog";

  /** The Delta Lake release for the Spark line this project builds against (3.5: Delta 3.3). */
  static final String DELTA_PACKAGE = "io.delta:delta-spark_2.12:3.3.2";

  private TableFormats() {}

  /** The format to read {@code location} with: parquet, jsonl or delta, or a refusal. */
  public static String resolve(SparkSession spark, Path path, String location, String configured) {
    Table table = layout(HadoopFiles.fs(path, spark.sparkContext().hadoopConfiguration()), path);
    boolean delta = table.layout() == Layout.DELTA && deltaOnClassPath();
    return format(location, configured, table, delta, deltaPackage(spark));
  }

  /** Reads {@code path} as {@code format} (from {@link #resolve}). */
  public static Dataset<Row> read(SparkSession spark, Path path, String format) {
    return switch (format) {
      case "parquet" -> spark.read().parquet(path.toString());
      case "delta" -> readDelta(spark, path);
      default ->
          spark
              .read()
              .option("mode", "PERMISSIVE")
              .option("columnNameOfCorruptRecord", "_corrupt_record")
              .json(path.toString());
    };
  }

  /**
   * Delta 3.x reads only in a session configured with its extension and catalog; its own error says
   * so over several lines, of which the job's one-line errors would keep the first.
   */
  private static Dataset<Row> readDelta(SparkSession spark, Path path) {
    try {
      return spark.read().format("delta").load(path.toString());
    } catch (Exception e) { // Delta's DeltaAnalysisException is a checked exception in Java's eyes
      for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
        if (String.valueOf(t.getMessage()).contains(SESSION_NOT_CONFIGURED)) {
          // no cause: InputData's message quotes the root cause's first line, which is Delta's
          throw new InputException(
              "Delta Lake is on the class path but this SparkSession is not configured for it;"
                  + " add --conf "
                  + DELTA_SESSION_CONF
                  + " to spark-submit");
        }
      }
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

  /**
   * The format for {@code location} configured as {@code configured} (auto, parquet, jsonl or
   * delta) with layout {@code table}, when Delta Lake is ({@code deltaOnClassPath}) or is not on
   * the class path; {@code deltaPackage} is what the refusal tells to add. A pure function.
   */
  static String format(
      String location,
      String configured,
      Table table,
      boolean deltaOnClassPath,
      String deltaPackage) {
    String root = table.root().toString();
    switch (table.layout()) {
      case ICEBERG -> throw new InputException(icebergRefusal(location, table));
      case DELTA -> {
        if (table.inside()) {
          throw new InputException(
              "input "
                  + location
                  + " is inside the Delta Lake table "
                  + root
                  + " (it has a _delta_log directory); reading part of a table as loose files"
                  + " would also read rows that Delta has deleted. Give the table's directory "
                  + root
                  + " as data.input");
        }
        if (!configured.equals("auto") && !configured.equals("delta")) {
          throw new InputException(
              "input "
                  + location
                  + " is a Delta Lake table (it has a _delta_log directory); data.format = "
                  + configured
                  + " would read its Parquet files directly, rows that Delta has deleted included."
                  + " Set data.format to delta or auto");
        }
        if (!deltaOnClassPath) {
          throw new InputException(
              "input "
                  + location
                  + " is a Delta Lake table (it has a _delta_log directory), and Delta Lake is not"
                  + " on the class path; reading its Parquet files directly would also read rows"
                  + " that Delta has deleted. Add Delta Lake to the job: spark-submit --packages "
                  + deltaPackage
                  + " --conf "
                  + DELTA_SESSION_CONF
                  + " (Databricks runtimes include Delta), or export the table to Parquet or JSONL");
        }
        return "delta";
      }
      default -> {
        if (configured.equals("delta")) {
          throw new InputException(
              "input "
                  + location
                  + " is not a Delta Lake table (no _delta_log directory); data.format = delta"
                  + " needs one. Set data.format to auto, parquet or jsonl");
        }
        return configured.equals("auto") ? byExtension(location) : configured;
      }
    }
  }

  private static String icebergRefusal(String location, Table table) {
    return "input "
        + location
        + (table.inside() ? " is inside" : " is")
        + " an Apache Iceberg table ("
        + table.root()
        + "/metadata/*.metadata.json); d2o does not read Iceberg tables by path: its data files"
        + " also hold deleted rows and old snapshots, and which metadata file is current is known"
        + " to the table's catalog. Export the table's current snapshot with the Iceberg runtime"
        + " and its catalog, e.g. spark.table(\"catalog.db.table\").write().parquet(\"...\"),"
        + " and give that as data.input";
  }

  /** Parquet or JSONL by the file extension; a directory without one is Spark's Parquet layout. */
  static String byExtension(String location) {
    String l = location.toLowerCase();
    if (l.endsWith(".jsonl") || l.endsWith(".json") || l.endsWith(".jsonl.gz")) {
      return "jsonl";
    }
    if (l.endsWith(".parquet") || !l.matches(".*\\.[a-z0-9]+$")) {
      return "parquet"; // a directory of part files is Spark's usual Parquet layout
    }
    throw new InputException(
        "cannot tell the format of "
            + location
            + " from its extension; set data.format to"
            + " parquet or jsonl");
  }

  /**
   * The layout of {@code path}: a table when it, or a directory above it, holds {@code _delta_log/}
   * (Delta) or {@code metadata/*.metadata.json} (Iceberg).
   */
  public static Table layout(FileSystem fs, Path path) {
    try {
      boolean inside = false;
      for (Path p = path; p != null; p = p.getParent(), inside = true) {
        if (fs.isDirectory(new Path(p, "_delta_log"))) {
          return new Table(Layout.DELTA, p, inside);
        }
        Path metadata = new Path(p, "metadata");
        if (fs.isDirectory(metadata)
            && fs.listStatus(metadata, f -> f.getName().endsWith(".metadata.json")).length > 0) {
          return new Table(Layout.ICEBERG, p, inside);
        }
      }
      return new Table(Layout.FILES, path, false);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot inspect input " + path, e);
    }
  }

  /** Whether Spark finds a data source named "delta" (Delta Lake's jar on the class path). */
  static boolean deltaOnClassPath() {
    try {
      DataSource.lookupDataSource("delta", SQLConf.get()); // the active session's settings
      return true;
    } catch (Exception | LinkageError e) { // Spark: DATA_SOURCE_NOT_FOUND (a checked exception)
      return false;
    }
  }

  /** The Delta Lake package to name in a refusal, for this Spark's line. */
  private static String deltaPackage(SparkSession spark) {
    return spark.version().startsWith("3.5") ? DELTA_PACKAGE : "io.delta:delta-spark_2.13:4.0.0";
  }
}
