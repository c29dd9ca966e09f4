package dev.d2o.spark.stages;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.not;

import dev.d2o.error.ConfigException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.InputColumns;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.data.InputOptions;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The validation split of a swept comparison: the last {@code rows} valid training prompts by id
 * are set aside (never trained on) to choose each loss's grid value, so the held-out prompts of
 * {@code data.eval} stay untouched until the chosen runs are measured on them. Both parts are
 * written as Parquet under the comparison's directory; the training part keeps the input's order by
 * id, so {@code data.maxRows} still takes its first rows.
 *
 * @param train location of the training part (the variants' {@code data.input})
 * @param validation location of the validation part (the variants' {@code data.eval})
 * @param validationRows rows in the validation part
 */
public record ValidationSplit(String train, String validation, long validationRows) {
  /** Splits {@code data.input} of {@code cfg} into {@code dir/train} and {@code dir/validation}. */
  public static ValidationSplit write(SparkSession spark, JobConfig cfg, String dir, int rows) {
    Dataset<Row> valid =
        InputData.load(
                spark,
                cfg.get(Keys.DATA_INPUT),
                dir + "/rejected-rows",
                InputOptions.of(cfg),
                InputColumns.HELD_OUT)
            .valid()
            .cache();
    long total = valid.count();
    if (rows < 1 || rows >= total) {
      throw new ConfigException(
          "--validation-rows = "
              + rows
              + ": data.input "
              + cfg.get(Keys.DATA_INPUT)
              + " has "
              + total
              + " valid rows; allowed: 1 to "
              + (total - 1));
    }
    List<String> held =
        valid
            .select("id")
            .orderBy(col("id").desc())
            .limit(rows)
            .as(Encoders.STRING())
            .collectAsList();
    Column isHeld = col("id").isin(held.toArray());
    String train = dir + "/train";
    String validation = dir + "/validation";
    valid.filter(not(isHeld)).orderBy("id").write().mode("overwrite").parquet(train);
    valid.filter(isHeld).orderBy("id").write().mode("overwrite").parquet(validation);
    valid.unpersist();
    return new ValidationSplit(train, validation, held.size());
  }
}
