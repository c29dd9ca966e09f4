package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.chat.ChatTemplate;
import dev.d2o.chat.Message;
import dev.d2o.infer.GenerationRequest;
import dev.d2o.infer.Generator;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.model.ByteLevelBpe;
import dev.d2o.model.Pretrained;
import dev.d2o.spark.anchors.AnchorRow;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.data.Conversations;
import dev.d2o.spark.ml.D2OModel;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tiny random Qwen2 model given Qwen2.5 Instruct's published chat template (and a tokenizer with
 * its special tokens): anchors, training, evaluation and D2OModel.transform all read prompts
 * rendered by the template (multi-turn HH-RLHF rows included), negatives end with the end-of-turn
 * token, and sampling stops there.
 */
class ChatTemplatesIT extends SparkTestBase {
  static final int IM_START = 258;
  static final int IM_END = 259;
  // The random model puts little mass on the stop tokens: a hot temperature flattens its
  // distribution to near uniform (each token ~1/260), and 160 tokens let most of the 24 samples end
  // by themselves, about half of them at the end of turn (sampling is seeded: the outcome is fixed)
  static final int MAX_NEW = 160;
  static final ObjectMapper JSON = new ObjectMapper();
  static final Path FORMATS = Path.of("..", "data-samples", "formats").toAbsolutePath().normalize();

  @TempDir Path tmp;

  /** The tiny model, with Qwen2.5's tokenizer_config.json and a byte tokenizer with its tokens. */
  static Path qwenChatModel(Path dir) throws Exception {
    // Qwen2.5's system prompt alone is ~120 byte tokens: the tiny Qwen2 with a longer context
    TinyModels.writeRandom(
        TinyModels.config(
            "{\"model_type\":\"qwen2\",\"vocab_size\":"
                + TinyModels.VOCAB
                + ",\"hidden_size\":32,\"intermediate_size\":64,\"num_hidden_layers\":2,"
                + "\"num_attention_heads\":4,\"num_key_value_heads\":1,"
                + "\"max_position_embeddings\":512,\"tie_word_embeddings\":true,"
                + "\"eos_token_id\":"
                + TinyModels.EOS
                + "}"),
        3,
        dir);
    ByteLevelBpe.bytesOnly(List.of("<|endoftext|>", "<s>", "<|im_start|>", "<|im_end|>"))
        .write(dir.resolve("tokenizer.json"));
    try (InputStream in =
        ChatTemplatesIT.class.getResourceAsStream(
            "/chat-templates/qwen2.5-7b-instruct/tokenizer_config.json")) {
      Files.write(dir.resolve("tokenizer_config.json"), in.readAllBytes());
    }
    return dir;
  }

  @Test
  void everyStageReadsPromptsRenderedByTheTemplate() throws Exception {
    Path model = qwenChatModel(tmp.resolve("model"));
    Path run = tmp.resolve("run");
    JobConfig cfg =
        JobConfig.load(
            null,
            List.of(
                "model.path=" + model,
                "data.input=" + FORMATS.resolve("hh-rlhf.jsonl"),
                "data.eval=" + FORMATS.resolve("hh-rlhf.jsonl"),
                "data.preset=hh-rlhf",
                "run.dir=" + run,
                "run.partitions=2",
                "anchors.numSamples=8",
                "anchors.maxNewTokens=" + MAX_NEW,
                "anchors.temperature=5",
                "anchors.prefix=Answer kindly. ",
                "train.batchSize=2",
                "train.maxSteps=2",
                "train.learningRate=0.001",
                "eval.maxNewTokens=8"));
    var summary = Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false);
    assertEquals(3, summary.get("anchor_rows").asInt(), summary.toString());

    ChatTemplate template = ChatTemplate.fromModelDir(model).orElseThrow();
    assertEquals("<|im_end|>", template.endOfTurn());
    List<AnchorRow> anchors =
        spark.read().parquet(run.resolve("anchors").toString()).collectAsList().stream()
            .map(AnchorRow::fromRow)
            .toList();
    int stoppedAtEndOfTurn = 0;
    int stoppedAtEos = 0;
    try (NDManager rm = NDManager.newBaseManager();
        Pretrained reference = Pretrained.load(model, rm)) {
      for (AnchorRow a : anchors) {
        List<Message> conversation = a.conversation();
        String rendered = template.render(conversation, true);
        assertEquals(rendered, a.promptText(), a.id());
        assertTrue(
            a.promptText()
                .startsWith(
                    "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful"
                        + " assistant.<|im_end|>\n<|im_start|>user\n"),
            a.promptText());
        assertTrue(a.promptText().endsWith("<|im_start|>assistant\n"), a.promptText());
        // the template writes no BOS and none is added: the ids are the rendered text's
        assertArrayEquals(reference.tokenizer().encode(rendered), a.promptIds(), a.id());
        assertEquals(IM_START, a.promptIds()[0]);
        assertEquals(IM_END, a.negativeIds()[a.negativeIds().length - 1], "negative closed");
        for (int[] ids : a.anchorIds()) {
          for (int j = 0; j < ids.length - 1; j++) {
            assertTrue(ids[j] != IM_END && ids[j] != TinyModels.EOS, "a sample ends at a stop");
          }
          int last = ids[ids.length - 1];
          assertTrue(
              last == IM_END || last == TinyModels.EOS || ids.length == MAX_NEW,
              "an anchor ends at the end of turn, at EOS or at anchors.maxNewTokens");
          stoppedAtEndOfTurn += last == IM_END ? 1 : 0;
          stoppedAtEos += last == TinyModels.EOS ? 1 : 0;
        }
      }
    }
    assertTrue(
        stoppedAtEndOfTurn > 0,
        "some anchors ended with the end-of-turn token; at EOS: " + stoppedAtEos + " of 24");
    AnchorRow multi = anchors.stream().filter(a -> a.id().equals("row-1")).findFirst().get();
    assertTrue(
        multi
            .promptText()
            .contains(
                "<|im_start|>assistant\nWhat happened between you two?<|im_end|>\n"
                    + "<|im_start|>user\nHe read my diary.<|im_end|>\n"),
        "the HH-RLHF row's earlier turns are the template's turns: " + multi.promptText());

    // training and evaluation ran on those rows
    List<String> steps = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(2, steps.size());
    JsonNode step = JSON.readTree(steps.get(0));
    assertEquals(step.get("rewards/anchors").asDouble(), step.get("rewards/chosen").asDouble());
    assertEquals(3, JSON.readTree(run.resolve("eval/report.json").toFile()).get("prompts").asInt());

    // D2OModel.transform renders and stops as the stages do: its answer is the one generated
    // from the rendered prompt with the end of turn as a stop id
    String finalModel = summary.get("final_model").asText();
    StructType schema = new StructType().add("prompt", DataTypes.StringType);
    Row out =
        new D2OModel("m", finalModel)
            .transform(spark.createDataFrame(List.of(RowFactory.create("Hi there")), schema))
            .collectAsList()
            .get(0);
    try (NDManager m = NDManager.newBaseManager();
        Pretrained policy = Pretrained.load(Path.of(finalModel.replace("file:", "")), m)) {
      int[] ids = policy.tokenizer().encode(template.renderPrompt("Hi there"));
      String expected =
          new Generator(policy.model(), policy.tokenizer(), 8, Generator.TOKEN_BUDGET_DEFAULT)
              .withStopIds(IM_END)
              .generate(
                  List.of(new GenerationRequest("Hi there", ids)),
                  1,
                  new SamplingConfig(0, 1.0, 0, 32, 0, 1.0, 0))
              .get(0)
              .samples()
              .get(0)
              .text();
      assertEquals(expected, out.getString(1));
    }
    assertEquals(
        Arrays.asList("prompt_text", Conversations.COLUMN),
        Arrays.asList(AnchorRow.SCHEMA.fieldNames()).subList(12, 14));
    assertTrue(
        new String(Files.readAllBytes(run.resolve("config.conf")), StandardCharsets.UTF_8)
            .contains("data.promptFormat = \"auto\""));
  }
}
