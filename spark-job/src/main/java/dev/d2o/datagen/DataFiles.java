package dev.d2o.datagen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.datagen.HarmlessData.Table;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;

/**
 * Writes each split of {@link HarmlessData} twice: as JSON Lines ({@code NAME.jsonl}, one object
 * per row, columns in schema order) and as a single plain Parquet file ({@code NAME.parquet})
 * written by Spark, so both the JSONL and the Parquet input paths of the job can be exercised. Both
 * are byte-identical for the same data.
 */
public final class DataFiles {
  static final ObjectMapper JSON = new ObjectMapper();

  private DataFiles() {}

  /** Writes every split of {@code data} into {@code dir}. */
  public static void writeAll(SparkSession spark, HarmlessData data, Path dir) {
    for (Table t : data.tables()) {
      writeJsonl(t, dir.resolve(t.name() + ".jsonl"));
      writeParquet(spark, t, dir.resolve(t.name() + ".parquet"));
    }
  }

  /** One JSON object per line, fields in schema order. */
  public static void writeJsonl(Table t, Path file) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      try (Writer w = new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8))) {
        StructField[] fields = t.schema().fields();
        for (Object[] row : t.rows()) {
          ObjectNode node = JSON.createObjectNode();
          for (int i = 0; i < fields.length; i++) {
            node.putPOJO(fields[i].name(), row[i]);
          }
          w.write(JSON.writeValueAsString(node));
          w.write('\n');
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes {@code t} with Spark as one partition into a temporary folder and moves its single part
   * file to {@code file}: a plain Parquet file has a stable name (Spark's part files carry a random
   * id) and Spark reads it like a folder.
   */
  public static void writeParquet(SparkSession spark, Table t, Path file) {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    try {
      deleteRecursively(tmp);
      List<Row> rows = new ArrayList<>(t.rows().size());
      for (Object[] r : t.rows()) {
        rows.add(RowFactory.create(r));
      }
      spark
          .createDataFrame(rows, t.schema())
          .coalesce(1)
          .write()
          .parquet(tmp.toAbsolutePath().toUri().toString());
      Path part;
      try (Stream<Path> files = Files.list(tmp)) {
        List<Path> parts =
            files.filter(p -> p.getFileName().toString().endsWith(".parquet")).toList();
        if (parts.size() != 1) {
          throw new IllegalStateException(
              "expected one Parquet part file in " + tmp + ", found " + parts);
        }
        part = parts.get(0);
      }
      deleteRecursively(file);
      Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
      deleteRecursively(tmp);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }

  /** Deletes {@code p} and everything under it; nothing when absent. */
  static void deleteRecursively(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(p)) {
      for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(q);
      }
    }
  }
}
