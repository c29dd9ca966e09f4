package dev.d2o.spark.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.d2o.chat.Message;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.collection.JavaConverters;
import scala.collection.Seq;

/**
 * Multi-turn prompts in Spark rows: the column {@value #COLUMN}, a list of {@code {role, content}}
 * structs ending with a user turn (HH-RLHF's shared prefix, TRL's conversational prompts). A row
 * whose {@value #COLUMN} is null is a plain prompt: its {@code prompt} text as one user turn. A row
 * with a conversation keeps the conversation's plain-text rendering ({@link
 * dev.d2o.chat.PromptRenderer#plainText}) in {@code prompt}, which is what a model without a chat
 * template reads.
 */
public final class Conversations {
  /** The column of a row's conversation. */
  public static final String COLUMN = "messages";

  /** One message. */
  public static final StructType MESSAGE =
      new StructType()
          .add("role", DataTypes.StringType, false)
          .add("content", DataTypes.StringType, false);

  /** The column's type. */
  public static final ArrayType TYPE = DataTypes.createArrayType(MESSAGE, false);

  private Conversations() {}

  /** The conversation column of {@code df}, or a null column of {@link #TYPE} when it has none. */
  public static Column column(Dataset<Row> df) {
    return Arrays.asList(df.columns()).contains(COLUMN)
        ? col(COLUMN)
        : lit(null).cast(TYPE).as(COLUMN);
  }

  /** The conversation in field {@code name} of {@code r}, or null (no such field, or null). */
  public static List<Message> get(Row r, String name) {
    if (!Arrays.asList(r.schema().fieldNames()).contains(name) || r.isNullAt(r.fieldIndex(name))) {
      return null;
    }
    return messages(r.getList(r.fieldIndex(name)));
  }

  /** Message structs (Rows with {@code role} and {@code content} fields) as messages. */
  public static List<Message> messages(List<?> structs) {
    List<Message> out = new ArrayList<>(structs.size());
    for (Object o : structs) {
      Row m = (Row) o;
      out.add(new Message(m.getAs("role"), m.getAs("content")));
    }
    return out;
  }

  /** {@code messages} as a value of {@link #TYPE} for a Spark row (null stays null). */
  @SuppressWarnings("deprecation")
  public static Seq<Row> toSpark(List<Message> messages) {
    if (messages == null) {
      return null;
    }
    List<Row> rows = new ArrayList<>(messages.size());
    messages.forEach(m -> rows.add(RowFactory.create(m.role(), m.content())));
    return JavaConverters.asScalaBuffer(rows);
  }
}
