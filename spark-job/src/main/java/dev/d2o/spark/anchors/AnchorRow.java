package dev.d2o.spark.anchors;

import dev.d2o.chat.Message;
import dev.d2o.spark.data.Conversations;
import dev.d2o.train.TrainExample;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.Iterator;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * One row of the anchors table: a prompt, its human negative, K anchors sampled from the sampling
 * policy, their token ids, and the reference log-probs of anchors and negative.
 *
 * @param id row id (seeds sampling)
 * @param prompt prompt text
 * @param negative human negative text
 * @param promptText the model input the anchors and the negative are scored under: the prompt
 *     rendered with the chat template, or the prompt itself for raw prompts
 * @param conversation the row's multi-turn prompt, or null (the prompt is one user turn)
 * @param promptIds tokens of {@code promptText} (BOS included where the model wants one; possibly
 *     truncated from the left)
 * @param negativeIds negative tokens, ending with EOS, or with the chat template's end-of-turn ids
 * @param anchors anchor texts (special tokens, such as the end of turn, left out)
 * @param anchorIds anchor tokens, ending with EOS or the end-of-turn token when the sample ended
 *     there
 * @param refLogpAnchors log π_ref(yᵢ|x)
 * @param refLogpNegative log π_ref(y⁻|x)
 */
public record AnchorRow(
    String id,
    String prompt,
    String negative,
    String promptText,
    List<Message> conversation,
    int[] promptIds,
    int[] negativeIds,
    List<String> anchors,
    int[][] anchorIds,
    double[] refLogpAnchors,
    double refLogpNegative)
    implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The Parquet schema of the anchors table. */
  public static final StructType SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("prompt", DataTypes.StringType, false)
          .add("negative", DataTypes.StringType, false)
          .add("anchors", DataTypes.createArrayType(DataTypes.StringType), false)
          .add("ref_logp_anchors", DataTypes.createArrayType(DataTypes.DoubleType), false)
          .add("ref_logp_negative", DataTypes.DoubleType, false)
          .add("prompt_ids", DataTypes.createArrayType(DataTypes.IntegerType), false)
          .add("negative_ids", DataTypes.createArrayType(DataTypes.IntegerType), false)
          .add(
              "anchor_ids",
              DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.IntegerType)),
              false)
          .add("prompt_tokens", DataTypes.IntegerType, false)
          .add("negative_tokens", DataTypes.IntegerType, false)
          .add("anchor_tokens", DataTypes.createArrayType(DataTypes.IntegerType), false)
          .add("prompt_text", DataTypes.StringType, false)
          .add(Conversations.COLUMN, Conversations.TYPE, true);

  /** As a Spark row of {@link #SCHEMA}. */
  public Row toRow() {
    List<Double> ref = new ArrayList<>();
    for (double d : refLogpAnchors) {
      ref.add(d);
    }
    List<List<Integer>> ids = new ArrayList<>();
    List<Integer> lens = new ArrayList<>();
    for (int[] a : anchorIds) {
      ids.add(boxed(a));
      lens.add(a.length);
    }
    return RowFactory.create(
        id,
        prompt,
        negative,
        seq(anchors),
        seq(ref),
        refLogpNegative,
        seq(boxed(promptIds)),
        seq(boxed(negativeIds)),
        seq(ids.stream().map(AnchorRow::seq).toList()),
        promptIds.length,
        negativeIds.length,
        seq(lens),
        promptText,
        Conversations.toSpark(conversation));
  }

  /** The row as model-core's training example (token ids and reference log-probs). */
  public TrainExample toExample() {
    return new TrainExample(id, promptIds, negativeIds, anchorIds, refLogpAnchors, refLogpNegative);
  }

  /** From a Spark row of {@link #SCHEMA}. */
  public static AnchorRow fromRow(Row r) {
    List<List<Integer>> ids = new ArrayList<>();
    for (Object o : r.getList(r.fieldIndex("anchor_ids"))) {
      ids.add(javaList(o));
    }
    int[][] anchorIds = ids.stream().map(AnchorRow::unboxed).toArray(int[][]::new);
    List<Double> ref = r.getList(r.fieldIndex("ref_logp_anchors"));
    String prompt = r.getString(r.fieldIndex("prompt"));
    // anchors written before prompts were rendered have neither column: their prompts were raw
    boolean rendered = List.of(r.schema().fieldNames()).contains("prompt_text");
    return new AnchorRow(
        r.getString(r.fieldIndex("id")),
        prompt,
        r.getString(r.fieldIndex("negative")),
        rendered ? r.getString(r.fieldIndex("prompt_text")) : prompt,
        Conversations.get(r, Conversations.COLUMN),
        unboxed(r.getList(r.fieldIndex("prompt_ids"))),
        unboxed(r.getList(r.fieldIndex("negative_ids"))),
        r.getList(r.fieldIndex("anchors")),
        anchorIds,
        ref.stream().mapToDouble(Double::doubleValue).toArray(),
        r.getDouble(r.fieldIndex("ref_logp_negative")));
  }

  private static List<Integer> boxed(int[] a) {
    List<Integer> out = new ArrayList<>(a.length);
    for (int x : a) {
      out.add(x);
    }
    return out;
  }

  private static int[] unboxed(List<Integer> l) {
    return l.stream().mapToInt(Integer::intValue).toArray();
  }

  /** Spark's row encoder wants Scala sequences for array columns. */
  @SuppressWarnings("deprecation")
  private static <T> Seq<T> seq(List<T> l) {
    return JavaConverters.asScalaBuffer(l);
  }

  /**
   * A nested array element as read back: a Scala Seq (Spark 3, Scala 2.12 or 2.13) or a Java list.
   */
  @SuppressWarnings("unchecked")
  private static List<Integer> javaList(Object o) {
    if (o instanceof List<?> l) {
      return (List<Integer>) l;
    }
    List<Integer> out = new ArrayList<>();
    Iterator<Object> it = ((scala.collection.Iterable<Object>) o).iterator();
    while (it.hasNext()) {
      out.add((Integer) it.next());
    }
    return out;
  }
}
