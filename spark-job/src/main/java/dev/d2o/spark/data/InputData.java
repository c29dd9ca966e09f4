package dev.d2o.spark.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.d2o.error.InputException;
import dev.d2o.spark.io.HadoopFiles;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads prompt data (Parquet or JSONL with {@code prompt}, {@code negative} or its alias {@code
 * rejected}, and an optional {@code id}; other column names with {@code data.columns.*}; a public
 * data set's layout with {@code data.preset}; a catalog table named {@code
 * table:catalog.schema.name}), checks the schema before any work, and splits valid rows from
 * rejected ones. Rejected rows are counted by reason and written out; nothing is dropped silently.
 * The one reader of every input: training prompts, held-out prompts (with their optional {@value
 * InputColumns#HELPFUL} column) and the SFT corpus ({@code response} instead of {@code negative}).
 * Valid rows have {@code id, prompt, negative}, then {@value Conversations#COLUMN} when a preset
 * gave multi-turn prompts, then the optional columns.
 */
public final class InputData {
  /** The schema every stage works with. */
  public static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("prompt", DataTypes.StringType, false)
          .add("negative", DataTypes.StringType, false);

  /**
   * The outcome of loading.
   *
   * @param valid rows with the {@link #SCHEMA}
   * @param total rows checked: the rows read, or with a {@code data.preset} the rows it made (one
   *     per negative, and one per input row it skipped)
   * @param rejected rejected rows by reason
   * @param sourceRows rows read from the input
   */
  public record Loaded(
      Dataset<Row> valid, long total, Map<String, Long> rejected, long sourceRows) {
    /** Number of rejected rows. */
    public long rejectedCount() {
      return rejected.values().stream().mapToLong(Long::longValue).sum();
    }
  }

  /** The reject reason of a row whose bytes are not UTF-8. */
  public static final String INVALID_UTF8 = "invalid UTF-8";

  /** The prefix of a catalog table's name in {@code data.input} / {@code data.eval}. */
  public static final String TABLE_PREFIX = "table:";

  private InputData() {}

  /**
   * Loads training prompts from {@code location}. {@code format} is auto, parquet or jsonl;
   * rejected rows go to {@code rejectsDir} as JSON when there are any.
   */
  public static Loaded load(SparkSession spark, String location, String format, String rejectsDir) {
    return load(spark, location, format, rejectsDir, InputColumns.NEGATIVES);
  }

  /** As {@link #load(SparkSession, String, String, String)}, for inputs with other columns. */
  public static Loaded load(
      SparkSession spark, String location, String format, String rejectsDir, InputColumns columns) {
    return load(spark, location, rejectsDir, InputOptions.format(format), columns);
  }

  /** Training prompts from {@code location}, read as {@code opts} say. */
  public static Loaded load(
      SparkSession spark, String location, String rejectsDir, InputOptions opts) {
    return load(spark, location, rejectsDir, opts, InputColumns.NEGATIVES);
  }

  /**
   * As {@link #load(SparkSession, String, String, InputOptions)}, for inputs with other columns.
   */
  public static Loaded load(
      SparkSession spark,
      String location,
      String rejectsDir,
      InputOptions opts,
      InputColumns columns) {
    Dataset<Row> raw =
        location.startsWith(TABLE_PREFIX)
            ? CatalogTables.read(spark, location.substring(TABLE_PREFIX.length()), location)
            : readFiles(spark, location, opts.format());
    return fromDataset(raw, location, rejectsDir, columns, opts);
  }

  private static Dataset<Row> readFiles(SparkSession spark, String location, String format) {
    Path path = HadoopFiles.qualify(location);
    if (!HadoopFiles.exists(path, spark.sparkContext().hadoopConfiguration())) {
      throw new InputException("input not found: " + location + " (data.input)");
    }
    String fmt = TableFormats.resolve(spark, path, location, format); // Delta, Iceberg, files
    Dataset<Row> raw;
    try {
      raw = TableFormats.read(spark, path, fmt);
    } catch (Exception e) { // Spark throws its (checked) SparkException or AnalysisException here
      throw new InputException(
          "input "
              + location
              + " cannot be read as "
              + fmt
              + " (data.format = "
              + format
              + "): "
              + rootMessage(e),
          e);
    }
    if (raw.schema().isEmpty()) { // Spark infers no columns from an empty file or folder
      throw new InputException("input " + location + " holds no rows (data.input)");
    }
    return raw;
  }

  private static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage() == null ? t.toString() : t.getMessage();
    return m.lines().findFirst().orElse(m);
  }

  /**
   * Whether {@code bytes} are well-formed UTF-8. Spark keeps a string's bytes as read (Parquet) and
   * decodes them with U+FFFD replacement only when Java code reads them, so invalid bytes would
   * otherwise be replaced silently.
   */
  static boolean validUtf8(byte[] bytes) {
    if (bytes == null) {
      return true;
    }
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
      return true;
    } catch (CharacterCodingException e) {
      return false;
    }
  }

  /**
   * Checks and splits an already loaded data set (the Estimator's {@code fit} input); {@code
   * source} names it in messages.
   */
  public static Loaded fromDataset(Dataset<Row> raw, String source, String rejectsDir) {
    return fromDataset(raw, source, rejectsDir, InputColumns.NEGATIVES);
  }

  /** As {@link #fromDataset(Dataset, String, String)}, for inputs with other columns. */
  public static Loaded fromDataset(
      Dataset<Row> raw, String source, String rejectsDir, InputColumns columns) {
    return fromDataset(raw, source, rejectsDir, columns, InputOptions.format("auto"));
  }

  /** As {@link #fromDataset(Dataset, String, String)}, read as {@code opts} say. */
  public static Loaded fromDataset(
      Dataset<Row> raw, String source, String rejectsDir, InputColumns columns, InputOptions opts) {
    String location = source;
    String second = columns.second();
    Dataset<Row> df = Presets.normalise(raw, location, columns, opts);
    List<String> names = Arrays.asList(df.columns());
    Column skip = names.contains(Presets.SKIP) ? col(Presets.SKIP) : lit(null).cast("string");
    UserDefinedFunction utf8 =
        udf((UDF1<byte[], Boolean>) InputData::validUtf8, DataTypes.BooleanType);
    // Spark's JSON reader refuses a line with invalid UTF-8 as a corrupt record (it never replaces
    // the bytes with U+FFFD); the record keeps the raw bytes, so the reason can say which fault it
    // was
    Column reason =
        when(not(utf8.apply(col("_corrupt").cast("binary"))), lit(INVALID_UTF8))
            .when(col("_corrupt").isNotNull(), lit("malformed JSON line"))
            .when(skip.isNotNull(), skip)
            .when(
                not(utf8.apply(col("prompt").cast("binary")))
                    .or(not(utf8.apply(col("negative").cast("binary")))),
                lit(INVALID_UTF8))
            .when(col("id").isNull(), lit("null id"))
            .when(col("prompt").isNull(), lit("null prompt"))
            .when(trim(col("prompt")).equalTo(""), lit("empty prompt"))
            .when(col("negative").isNull(), lit("null " + second))
            .when(trim(col("negative")).equalTo(""), lit("empty " + second));
    Dataset<Row> tagged = df.withColumn("_reason", reason).cache();
    long total = tagged.count();
    Map<String, Long> rejected = new LinkedHashMap<>();
    for (Row r :
        tagged.filter(col("_reason").isNotNull()).groupBy("_reason").count().collectAsList()) {
      rejected.put(r.getString(0), r.getLong(1));
    }
    if (!rejected.isEmpty()) {
      tagged.filter(col("_reason").isNotNull()).write().mode("overwrite").json(rejectsDir);
    }
    List<Column> kept =
        new ArrayList<>(List.of(col("id"), col("prompt"), col("negative").as(second)));
    if (names.contains(Conversations.COLUMN)) {
      kept.add(col(Conversations.COLUMN));
    }
    for (String c : columns.optional()) {
      if (names.contains(c)) {
        kept.add(col(c));
      }
    }
    Dataset<Row> valid = tagged.filter(col("_reason").isNull()).select(kept.toArray(Column[]::new));
    long rejectedRows = rejected.values().stream().mapToLong(Long::longValue).sum();
    if (total == 0) {
      throw new InputException("input " + location + " holds no rows (data.input)");
    }
    if (rejectedRows == total) {
      throw new InputException(
          "input "
              + location
              + " has no valid rows: "
              + total
              + " read, all rejected ("
              + rejected
              + "); see "
              + rejectsDir);
    }
    checkUniqueIds(valid, location);
    boolean preset = !opts.preset().equals("none");
    return new Loaded(valid, total, rejected, preset ? raw.count() : total);
  }

  private static void checkUniqueIds(Dataset<Row> valid, String location) {
    List<Row> dups =
        valid.groupBy("id").count().filter(col("count").gt(1)).limit(3).collectAsList();
    if (!dups.isEmpty()) {
      List<String> ids = new ArrayList<>();
      dups.forEach(r -> ids.add("'" + r.getString(0) + "' (" + r.getLong(1) + " rows)"));
      throw new InputException(
          "input "
              + location
              + " has duplicate ids: "
              + String.join(", ", ids)
              + "; ids seed anchor sampling and must be unique");
    }
  }
}
