package dev.d2o.spark.cost;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;

import dev.d2o.model.ModelException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.feature.CountVectorizer;
import org.apache.spark.ml.feature.IDF;
import org.apache.spark.ml.feature.NGram;
import org.apache.spark.ml.feature.RegexTokenizer;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.functions;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * A harmfulness classifier for responses: a Spark MLlib {@link Pipeline} of lower-cased word tokens
 * with negation scopes marked, word uni- and bigrams, counts, IDF and logistic regression. The
 * negation marking matters: the generated data puts the same actions in both classes, negated in
 * one ("never reuse one short password"), so the class lives in an action together with its
 * polarity, not in single words. Saved and loaded with MLlib's own writer, so any Spark job can use
 * it.
 *
 * <p>{@link #score} adds {@value #PROB} (the probability that the text is harmful) and {@value
 * #FLAG} ({@code harmful_prob ≥ 0.5}) and keeps the input columns unchanged.
 */
public final class DemoCostModel {
  /** Output column: probability that the text is harmful. */
  public static final String PROB = "harmful_prob";

  /** Output column: {@code harmful_prob ≥ 0.5}. */
  public static final String FLAG = "harmful";

  // Internal columns carry a prefix so they cannot collide with the caller's.
  private static final String TEXT = "cost_text";
  private static final String PROBABILITY = "cost_probability";

  private final PipelineModel model;

  private DemoCostModel(PipelineModel model) {
    this.model = model;
  }

  /** Clause boundaries: a negation's scope ends at the next one. */
  private static final String PUNCT = "(',', '.', ';', ':', '!', '?')";

  /**
   * Words that open a negation scope: "never", "do not", "rather than", "instead of", "no need to",
   * ...
   */
  private static final String CUES =
      "('never', 'not', \"don't\", 'no', 'than', 'instead', 'tempting', 'often', "
          + "'avoid', 'wrongly')";

  /**
   * Marks every word inside a negation scope with {@code not_} (from a cue to the end of its
   * clause), the classic negation handling of sentiment classifiers (Das and Chen 2001; Pang, Lee
   * and Vaithyanathan 2002), in Spark SQL so the saved pipeline needs no custom class. Then drops
   * the punctuation tokens.
   */
  static final String MARK_NEGATION =
      "SELECT *, filter(transform(cost_tokens, (w, i) -> "
          + "IF(aggregate(slice(cost_tokens, 1, i), 0, (acc, x) -> "
          + "CASE WHEN x IN "
          + PUNCT
          + " THEN 0 WHEN x IN "
          + CUES
          + " THEN 1 ELSE acc END) = 1, concat('not_', w), w)), w -> w NOT IN "
          + PUNCT
          + ") AS cost_w1 FROM __THIS__";

  /**
   * The unfitted pipeline; it reads {@code cost_text} and the {@code label} column (1 = harmful).
   */
  public static Pipeline pipeline() {
    RegexTokenizer tokens =
        new RegexTokenizer("cost_tokens")
            .setInputCol(TEXT)
            .setOutputCol("cost_tokens")
            .setPattern("[a-z']+|[,.;:!?]")
            .setGaps(false)
            .setToLowercase(true);
    SQLTransformer negation = new SQLTransformer("cost_negation").setStatement(MARK_NEGATION);
    NGram bigrams =
        new NGram("cost_bigrams").setN(2).setInputCol("cost_w1").setOutputCol("cost_w2");
    SQLTransformer grams =
        new SQLTransformer("cost_grams")
            .setStatement("SELECT *, concat(cost_w1, cost_w2) AS cost_grams FROM __THIS__");
    CountVectorizer counts =
        new CountVectorizer("cost_counts")
            .setInputCol("cost_grams")
            .setOutputCol("cost_tf")
            .setMinDF(2)
            .setVocabSize(1 << 14);
    IDF idf = new IDF("cost_idf").setInputCol("cost_tf").setOutputCol("cost_features");
    LogisticRegression lr =
        new LogisticRegression("cost_lr")
            .setFeaturesCol("cost_features")
            .setLabelCol("label")
            .setPredictionCol("cost_prediction")
            .setProbabilityCol(PROBABILITY)
            .setRawPredictionCol("cost_raw")
            .setRegParam(0.001)
            .setElasticNetParam(0.0)
            .setMaxIter(200);
    return new Pipeline("cost_pipeline")
        .setStages(new PipelineStage[] {tokens, negation, bigrams, grams, counts, idf, lr});
  }

  /** Fits the pipeline on {@code labeled} ({@code textCol} string, {@code label} 0/1). */
  public static DemoCostModel fit(Dataset<Row> labeled, String textCol) {
    requireText(labeled, textCol);
    Dataset<Row> in =
        labeled
            .withColumn(TEXT, text(textCol))
            .withColumn("label", col("label").cast(DataTypes.DoubleType));
    return new DemoCostModel(pipeline().fit(in));
  }

  /** Loads a model saved by {@link #save}; fails naming the path. */
  public static DemoCostModel load(SparkSession spark, String path) {
    try {
      return new DemoCostModel(PipelineModel.load(path));
    } catch (Exception e) { // Hadoop's checked IOExceptions surface here undeclared, through Scala
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new ModelException(
          "cannot load the cost model from " + path + ": " + e.getMessage(), e);
    }
  }

  /** Saves with MLlib's writer, replacing what is at {@code path}. */
  public void save(String path) {
    try {
      model.write().overwrite().save(path);
    } catch (IOException e) {
      throw new ModelException("cannot save the cost model to " + path + ": " + e.getMessage(), e);
    }
  }

  /**
   * {@code in} with {@value #PROB} (double) and {@value #FLAG} (boolean) added; a null text scores
   * as "".
   */
  public Dataset<Row> score(Dataset<Row> in, String textCol) {
    requireText(in, textCol);
    List<Column> out = new ArrayList<>();
    Arrays.stream(in.columns()).forEach(c -> out.add(col("`" + c + "`")));
    Column prob = functions.vector_to_array(col(PROBABILITY), "float64").getItem(1);
    out.add(prob.as(PROB));
    out.add(prob.geq(0.5).as(FLAG));
    return model.transform(in.withColumn(TEXT, text(textCol))).select(out.toArray(new Column[0]));
  }

  /** {@link #score} on the column {@code text}. */
  public Dataset<Row> score(Dataset<Row> in) {
    return score(in, "text");
  }

  /**
   * Share of rows of {@code labeled} ({@code textCol}, {@code label}) whose {@value #FLAG} equals
   * the label.
   */
  public double accuracy(Dataset<Row> labeled, String textCol) {
    Row r =
        score(labeled, textCol)
            .selectExpr("avg(cast((harmful = (label = 1)) as double)) AS acc", "count(*) AS n")
            .first();
    if (r.getLong(1) == 0) {
      throw new IllegalArgumentException("accuracy of an empty data set");
    }
    return r.getDouble(0);
  }

  /**
   * {@code in} with {@code textCol} cut to its first {@code share} of whitespace-separated words
   * (at least one): the partial sentences a small language model may produce.
   */
  public static Dataset<Row> truncateWords(Dataset<Row> in, String textCol, double share) {
    String words = "split(`" + textCol + "`, ' ')";
    return in.withColumn(
        textCol,
        expr(
            "concat_ws(' ', slice("
                + words
                + ", 1, greatest(1, cast(ceil(size("
                + words
                + ") * "
                + share
                + ") AS int))))"));
  }

  private static Column text(String textCol) {
    return coalesce(col("`" + textCol + "`"), lit(""));
  }

  private static void requireText(Dataset<Row> in, String textCol) {
    if (!Arrays.asList(in.columns()).contains(textCol)) {
      throw new IllegalArgumentException(
          "cost model input has no column '"
              + textCol
              + "' (columns: "
              + String.join(", ", in.columns())
              + ")");
    }
    if (!in.schema().apply(textCol).dataType().equals(DataTypes.StringType)) {
      throw new IllegalArgumentException(
          "cost model input column '"
              + textCol
              + "' must be a string, found "
              + in.schema().apply(textCol).dataType().simpleString());
    }
  }
}
