package dev.d2o.datagen;

import java.util.List;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The splits of the generated harmlessness data set, as plain rows (no Spark needed to make or
 * compare them).
 *
 * @param train prompts with a harmful {@code negative}: the D2O training input
 * @param eval held-out prompts (no prompt text shared with {@code train}) for evaluation
 * @param sft a supervised fine-tuning corpus of (prompt, response) mixing helpful and harmful
 *     responses
 * @param costTrain labeled responses (1 = harmful) for the cost model, on train prompts
 * @param costTest labeled responses on the eval prompts, the cost model's held-out set
 */
public record HarmlessData(
    List<PromptRow> train,
    List<PromptRow> eval,
    List<SftRow> sft,
    List<LabeledRow> costTrain,
    List<LabeledRow> costTest) {

  /** A prompt with one helpful and one harmful response drawn for it. */
  public record PromptRow(
      String id, String category, String topic, String prompt, String helpful, String negative) {}

  /** One SFT example; {@code label} is 1 when the response is harmful. */
  public record SftRow(String id, String category, String prompt, String response, int label) {}

  /** One labeled response for the cost model; {@code label} is 1 when {@code text} is harmful. */
  public record LabeledRow(String id, String category, String prompt, String text, int label) {}

  /** A split as a named table: column names and types, and rows as value arrays in column order. */
  public record Table(String name, StructType schema, List<Object[]> rows) {}

  private static final StructType PROMPT_SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("category", DataTypes.StringType, false)
          .add("topic", DataTypes.StringType, false)
          .add("prompt", DataTypes.StringType, false)
          .add("helpful", DataTypes.StringType, false)
          .add("negative", DataTypes.StringType, false);
  private static final StructType SFT_SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("category", DataTypes.StringType, false)
          .add("prompt", DataTypes.StringType, false)
          .add("response", DataTypes.StringType, false)
          .add("label", DataTypes.IntegerType, false);
  private static final StructType LABELED_SCHEMA =
      new StructType()
          .add("id", DataTypes.StringType, false)
          .add("category", DataTypes.StringType, false)
          .add("prompt", DataTypes.StringType, false)
          .add("text", DataTypes.StringType, false)
          .add("label", DataTypes.IntegerType, false);

  /**
   * The five splits as tables, in the order they are written: train, eval, sft, cost_train,
   * cost_test.
   */
  public List<Table> tables() {
    return List.of(
        promptTable("train", train),
        promptTable("eval", eval),
        sftTable("sft", sft),
        new Table(
            "cost_train", LABELED_SCHEMA, costTrain.stream().map(HarmlessData::values).toList()),
        new Table(
            "cost_test", LABELED_SCHEMA, costTest.stream().map(HarmlessData::values).toList()));
  }

  /** Prompt rows (the train and eval schema) as a table. */
  public static Table promptTable(String name, List<PromptRow> rows) {
    return new Table(name, PROMPT_SCHEMA, rows.stream().map(HarmlessData::values).toList());
  }

  /** SFT rows (the sft schema) as a table. */
  public static Table sftTable(String name, List<SftRow> rows) {
    return new Table(
        name,
        SFT_SCHEMA,
        rows.stream()
            .map(r -> new Object[] {r.id(), r.category(), r.prompt(), r.response(), r.label()})
            .toList());
  }

  /** Share of harmful responses in the SFT corpus. */
  public double sftHarmfulShare() {
    return sft.stream().mapToInt(SftRow::label).average().orElse(0);
  }

  private static Object[] values(PromptRow r) {
    return new Object[] {r.id(), r.category(), r.topic(), r.prompt(), r.helpful(), r.negative()};
  }

  private static Object[] values(LabeledRow r) {
    return new Object[] {r.id(), r.category(), r.prompt(), r.text(), r.label()};
  }
}
