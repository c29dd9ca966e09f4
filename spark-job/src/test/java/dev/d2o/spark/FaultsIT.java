package dev.d2o.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.error.InputException;
import dev.d2o.model.ModelException;
import dev.d2o.spark.config.JobConfig;
import dev.d2o.spark.config.Keys;
import dev.d2o.spark.data.InputData;
import dev.d2o.spark.io.CheckpointStore;
import dev.d2o.spark.stages.Pipeline;
import dev.d2o.spark.testing.FailingFileSystem;
import dev.d2o.spark.testing.Prompts;
import dev.d2o.spark.testing.SparkTestBase;
import dev.d2o.testing.TinyModels;
import dev.d2o.train.TrainConfig;
import dev.d2o.train.TrainException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults and bad input through the Spark job (docs/reliability.md): invalid UTF-8, wrong format, an
 * empty input, a 1 MB prompt, non-finite reference log-probs, and a full disk while a checkpoint is
 * written.
 */
class FaultsIT extends SparkTestBase {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static JobConfig base;
  static List<String> baseArgs;

  @BeforeAll
  static void data() throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.llama(), 9, tmp.resolve("model"));
    Prompts.writeJsonl(tmp.resolve("in.jsonl"), 8);
    baseArgs =
        List.of(
            "model.path=" + model,
            "data.input=" + tmp.resolve("in.jsonl"),
            "anchors.numSamples=2",
            "anchors.maxNewTokens=4",
            "run.partitions=2",
            "train.batchSize=4",
            "train.chunkSize=2",
            "train.learningRate=0.002",
            "train.schedule=constant");
    base = JobConfig.load(null, baseArgs);
  }

  private static Path write(String name, byte[] bytes) throws Exception {
    Path p = tmp.resolve(name);
    Files.write(p, bytes);
    return p;
  }

  @Test
  void invalidUtf8IsRejectedWithItsReasonNeverReplacedSilently() throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    b.writeBytes(
        "{\"id\": \"ok\", \"prompt\": \"Grüße\", \"negative\": \"fine\"}\n"
            .getBytes(StandardCharsets.UTF_8));
    b.writeBytes("{\"id\": \"p\", \"prompt\": \"bad ".getBytes(StandardCharsets.UTF_8));
    b.write(0xC3); // a lead byte followed by a non-continuation byte
    b.writeBytes("( byte\", \"negative\": \"n\"}\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes(
        "{\"id\": \"n\", \"prompt\": \"p\", \"negative\": \"stray "
            .getBytes(StandardCharsets.UTF_8));
    b.write(0xFF);
    b.writeBytes("\"}\n".getBytes(StandardCharsets.UTF_8));
    b.writeBytes(
        "{\"id\": \"r\", \"prompt\": \"a real \uFFFD is kept\", \"negative\": \"n\"}\n"
            .getBytes(StandardCharsets.UTF_8));
    Path in = write("utf.jsonl", b.toByteArray());
    InputData.Loaded l =
        InputData.load(spark, in.toString(), "auto", tmp.resolve("utf-rejects").toString());
    assertEquals(4, l.total());
    assertEquals(Map.of("invalid UTF-8", 2L), l.rejected());
    assertEquals(
        List.of("ok", "r"),
        l.valid().orderBy("id").collectAsList().stream().map(r -> r.getString(0)).toList());
    List<Row> rejects = spark.read().json(tmp.resolve("utf-rejects").toString()).collectAsList();
    assertEquals(
        List.of("invalid UTF-8", "invalid UTF-8"),
        rejects.stream().map(r -> r.getString(r.fieldIndex("_reason"))).toList(),
        "written with their reason");
  }

  /**
   * Parquet keeps a string's bytes as written; invalid ones would become U+FFFD when read, so they
   * are refused.
   */
  @Test
  void invalidUtf8InParquetStringsIsRejected() throws Exception {
    org.apache.spark.sql.types.StructType bin =
        new org.apache.spark.sql.types.StructType()
            .add("id", "string")
            .add("prompt", "binary")
            .add("negative", "binary");
    List<Row> rows =
        List.of(
            org.apache.spark.sql.RowFactory.create(
                "ok", "fine".getBytes(StandardCharsets.UTF_8), new byte[] {'n'}),
            org.apache.spark.sql.RowFactory.create(
                "bad", new byte[] {'a', (byte) 0xC3, '('}, new byte[] {'n'}));
    String parquet = tmp.resolve("utf.parquet").toString();
    spark
        .createDataFrame(rows, bin)
        .selectExpr(
            "id", "cast(prompt as string) as prompt", "cast(negative as string) as negative")
        .write()
        .parquet(parquet);
    InputData.Loaded l =
        InputData.load(spark, parquet, "auto", tmp.resolve("utf-rejects-pq").toString());
    assertEquals(Map.of("invalid UTF-8", 1L), l.rejected());
    assertEquals(
        List.of("ok"), l.valid().collectAsList().stream().map(r -> r.getString(0)).toList());
  }

  @Test
  void wrongFormatAndEmptyInputAreNamed() throws Exception {
    Path in = tmp.resolve("in.jsonl");
    InputException e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, in.toString(), "parquet", tmp.resolve("r1").toString()));
    assertTrue(
        e.getMessage()
            .startsWith("input " + in + " cannot be read as parquet (data.format = parquet): "),
        e.getMessage());

    Path txt = write("in.txt", "prompt,negative\n".getBytes(StandardCharsets.UTF_8));
    e =
        assertThrows(
            InputException.class, () -> InputData.load(spark, txt.toString(), "auto", "x"));
    assertEquals(
        "cannot tell the format of "
            + txt
            + " from its extension; set data.format to parquet or jsonl",
        e.getMessage());

    Path empty = write("empty.jsonl", new byte[0]);
    e =
        assertThrows(
            InputException.class, () -> InputData.load(spark, empty.toString(), "auto", "x"));
    assertEquals("input " + empty + " holds no rows (data.input)", e.getMessage());

    Path allBad =
        write(
            "bad.jsonl",
            "{\"prompt\": \" \", \"negative\": \"n\"}\n".getBytes(StandardCharsets.UTF_8));
    e =
        assertThrows(
            InputException.class,
            () -> InputData.load(spark, allBad.toString(), "auto", tmp.resolve("r2").toString()));
    assertEquals(
        "input "
            + allBad
            + " has no valid rows: 1 read, all rejected ({empty prompt=1}); see "
            + tmp.resolve("r2"),
        e.getMessage());
  }

  /** 1 MiB of words (the byte-level test tokenizer makes one token per byte). */
  static final String BIG = "lorem ipsum dolor sit amet ".repeat(40_000).substring(0, 1 << 20);

  /** One row with a 1 MB prompt among short ones. */
  private static JobConfig megabyte(String policy) throws Exception {
    String big = BIG;
    StringBuilder sb = new StringBuilder(Files.readString(tmp.resolve("in.jsonl")));
    sb.append("{\"id\": \"big\", \"prompt\": \"").append(big).append("\", \"negative\": \"no\"}\n");
    Path in = write("big-" + policy + ".jsonl", sb.toString().getBytes(StandardCharsets.UTF_8));
    return base.with(Keys.DATA_INPUT, in.toString())
        .with(Keys.DATA_LENGTH_POLICY, policy)
        .with(Keys.RUN_DIR, tmp.resolve("big-" + policy).toString());
  }

  @Test
  void megabytePromptFailsNamingTheRowOrIsTruncatedLeft() throws Exception {
    ModelException e =
        assertThrows(
            ModelException.class,
            () -> Pipeline.run(spark, megabyte("fail"), Pipeline.Stage.ANCHORS, false, false));
    assertEquals(
        "row id big: prompt of "
            + (BIG.length() + 1)
            + " tokens leaves no room in the model's context"
            + " of 64 positions"
            + " (data.lengthPolicy = fail; truncate-prompt-left keeps the end of the prompt)",
        e.getMessage());

    Pipeline.run(spark, megabyte("truncate-prompt-left"), Pipeline.Stage.ANCHORS, false, false);
    Row big =
        spark
            .read()
            .parquet(tmp.resolve("big-truncate-prompt-left/anchors").toString())
            .filter("id = 'big'")
            .first();
    int promptTokens = big.getInt(big.fieldIndex("prompt_tokens"));
    List<Integer> ids = big.getList(big.fieldIndex("prompt_ids"));
    assertTrue(
        promptTokens < 64 && promptTokens == ids.size(),
        "prompt cut to the context: " + promptTokens);
    assertEquals(
        (int) BIG.charAt(BIG.length() - 1),
        ids.get(ids.size() - 1),
        "the end of the prompt is kept");
  }

  @Test
  void nonFiniteReferenceLogprobsAreSkippedCountedThenStopTheRun() throws Exception {
    List<String> args = new java.util.ArrayList<>(baseArgs);
    args.addAll(
        List.of(
            "run.dir=" + tmp.resolve("nan"), "train.maxSteps=6", "train.maxConsecutiveSkips=2"));
    JobConfig cfg = JobConfig.load(null, args);
    Pipeline.run(spark, cfg, Pipeline.Stage.ANCHORS, false, false);
    String anchors = tmp.resolve("nan/anchors").toString();
    // every row's reference log-prob of the negative becomes NaN: each step's loss is NaN
    spark
        .read()
        .parquet(anchors)
        .withColumn("ref_logp_negative", org.apache.spark.sql.functions.lit(Double.NaN))
        .write()
        .mode(SaveMode.Overwrite)
        .parquet(anchors + "-nan");
    spark.read().parquet(anchors + "-nan").write().mode(SaveMode.Overwrite).parquet(anchors);
    TrainException e =
        assertThrows(
            TrainException.class,
            () -> Pipeline.run(spark, cfg, Pipeline.Stage.TRAIN, true, false));
    assertEquals(
        "training stopped at step 1: 2 consecutive steps had a non-finite loss or gradient (last:"
            + " non-finite loss NaN; limit maxConsecutiveSkips = 2). Lower learningRate, check the rows' reference"
            + " log-probs, or resume from the last checkpoint",
        e.getMessage());
    List<String> lines = Files.readAllLines(tmp.resolve("nan/metrics.jsonl"));
    assertEquals(2, lines.size(), "both skipped steps are recorded: " + lines);
    for (int i = 0; i < 2; i++) {
      JsonNode m = JSON.readTree(lines.get(i));
      assertEquals(i + 1.0, m.get("skipped_steps").asDouble());
      assertEquals("non-finite loss NaN", m.get("skipped_reason").asText());
    }
    assertFalse(Files.exists(tmp.resolve("nan/final")), "no final model from a stopped run");
  }

  @Test
  void fullDiskWhileCheckpointingKeepsThePreviousCheckpointAndResumes() throws Exception {
    FailingFileSystem.register(spark.sparkContext().hadoopConfiguration());
    String runDir = FailingFileSystem.SCHEME + ":" + tmp.resolve("failfs-run");
    JobConfig cfg =
        base.with(Keys.RUN_DIR, runDir)
            .with(Keys.TRAIN_MAX_STEPS, 4)
            .with(Keys.TRAIN_CHECKPOINT_EVERY, 2);
    FailingFileSystem.failCreatesUnder("checkpoint-00000004");
    FailingFileSystem.clearEvents();
    TrainException e;
    try {
      e =
          assertThrows(
              TrainException.class,
              () -> Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false));
    } finally {
      FailingFileSystem.failCreatesUnder(null);
    }
    assertTrue(
        e.getMessage()
            .startsWith(
                "checkpoint at step 4 could not be written to "
                    + runDir
                    + "/checkpoints/checkpoint-00000004: No space left on device"),
        e.getMessage());
    assertTrue(
        e.getMessage()
            .endsWith(
                "the newest complete checkpoint is "
                    + runDir
                    + "/checkpoints/checkpoint-00000002; continue with --resume"),
        e.getMessage());
    Path ckpts = tmp.resolve("failfs-run/checkpoints");
    assertTrue(Files.exists(ckpts.resolve("checkpoint-00000002/_COMPLETE")));
    assertFalse(Files.exists(ckpts.resolve("checkpoint-00000004/_COMPLETE")));

    assertEveryFileSyncedBeforeTheMarker(FailingFileSystem.events(), "checkpoint-00000002");

    FailingFileSystem.clearEvents();
    Pipeline.run(spark, cfg, Pipeline.Stage.ALL, true, false); // resumes from step 2
    List<String> lines = Files.readAllLines(tmp.resolve("failfs-run/metrics.jsonl"));
    assertEquals(4, lines.size());
    assertTrue(Files.exists(ckpts.resolve("checkpoint-00000004/_COMPLETE")));
    assertTrue(Files.exists(tmp.resolve("failfs-run/final/model.safetensors")));
    // one download per resume: each file of the checkpoint is read once
    try (var files = Files.list(ckpts.resolve("checkpoint-00000002"))) {
      for (String f : files.map(p -> p.getFileName().toString()).toList()) {
        if (f.startsWith(".") || f.equals(CheckpointStore.MARKER)) {
          continue;
        }
        long opens =
            FailingFileSystem.events().stream()
                .filter(ev -> ev.startsWith("open ") && ev.endsWith("checkpoint-00000002/" + f))
                .count();
        assertEquals(1, opens, f + " read once: " + FailingFileSystem.events());
      }
    }
  }

  /**
   * Every file uploaded for checkpoint {@code name} was hsynced before the checkpoint's marker was
   * created (the test file system's streams support hsync, as HDFS's do).
   */
  private static void assertEveryFileSyncedBeforeTheMarker(List<String> events, String name) {
    int marker = -1;
    for (int i = 0; i < events.size(); i++) {
      if (events.get(i).startsWith("create ") && events.get(i).contains(name + "/._COMPLETE")) {
        marker = i;
      }
    }
    assertTrue(marker > 0, "the marker was written: " + events);
    List<String> uploaded =
        events.stream()
            .filter(ev -> ev.startsWith("create ") && ev.contains("." + name + ".uploading/"))
            .map(ev -> ev.substring("create ".length()))
            .toList();
    assertTrue(uploaded.size() >= 4, "model, config, optimizer, trainer state: " + uploaded);
    for (String f : uploaded) {
      int synced = events.indexOf("hsync " + f);
      assertTrue(synced >= 0 && synced < marker, f + " synced before the marker: " + events);
    }
  }

  /**
   * {@code train.keepCheckpoints = 1} and a crash after the new checkpoint's files but before its
   * marker: the previous checkpoint is still there (old ones are pruned only after the new one is
   * complete), and {@code --resume} continues from it with the same steps as the first attempt.
   */
  @Test
  void aCrashBeforeTheMarkerKeepsThePreviousCheckpointEvenWithKeepOne() throws Exception {
    Path dir = tmp.resolve("keep-one");
    JobConfig cfg =
        base.with(Keys.RUN_DIR, dir.toString())
            .with(Keys.TRAIN_MAX_STEPS, 4)
            .with(Keys.TRAIN_CHECKPOINT_EVERY, 2)
            .with(Keys.train(TrainConfig.KEEP_CHECKPOINTS), 1);
    System.setProperty("d2o.fault.checkpoint", "4");
    try {
      assertThrows(
          IllegalStateException.class,
          () -> Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false));
    } finally {
      System.clearProperty("d2o.fault.checkpoint");
    }
    Path ckpts = dir.resolve("checkpoints");
    assertTrue(Files.exists(ckpts.resolve("checkpoint-00000002/_COMPLETE")));
    assertTrue(Files.exists(ckpts.resolve("checkpoint-00000004/optimizer.safetensors")));
    assertFalse(Files.exists(ckpts.resolve("checkpoint-00000004/_COMPLETE")));
    List<String> first = Files.readAllLines(dir.resolve("metrics.jsonl"));
    assertEquals(4, first.size(), "steps 0..3 ran before the crash");

    Pipeline.run(spark, cfg, Pipeline.Stage.ALL, true, false);
    String start = JSON.readTree(dir.resolve("summary.json").toFile()).get("train_start").asText();
    assertTrue(start.endsWith("keep-one/checkpoints/checkpoint-00000002 at step 2"), start);
    List<String> again = Files.readAllLines(dir.resolve("metrics.jsonl"));
    assertEquals(4, again.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(
          JSON.readTree(first.get(i)).get("loss").asDouble(),
          JSON.readTree(again.get(i)).get("loss").asDouble(),
          0.0,
          "loss at step " + i);
    }
    try (var left = Files.list(ckpts)) {
      assertEquals(
          List.of("checkpoint-00000004"),
          left.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList());
    }
    assertTrue(Files.exists(ckpts.resolve("checkpoint-00000004/_COMPLETE")));
  }

  /**
   * {@code --resume} when the only checkpoint was cut short before its marker: it does not pass for
   * a fresh start silently; {@code summary.json} and the console say what was found.
   */
  @Test
  void resumeWithOnlyAnIncompleteCheckpointSaysSoAndStartsOver() throws Exception {
    Path dir = tmp.resolve("none-complete");
    JobConfig cfg =
        base.with(Keys.RUN_DIR, dir.toString())
            .with(Keys.TRAIN_MAX_STEPS, 4)
            .with(Keys.TRAIN_CHECKPOINT_EVERY, 2);
    System.setProperty("d2o.fault.checkpoint", "2");
    try {
      assertThrows(
          IllegalStateException.class,
          () -> Pipeline.run(spark, cfg, Pipeline.Stage.ALL, false, false));
    } finally {
      System.clearProperty("d2o.fault.checkpoint");
    }
    Pipeline.run(spark, cfg, Pipeline.Stage.ALL, true, false);
    String start = JSON.readTree(dir.resolve("summary.json").toFile()).get("train_start").asText();
    assertTrue(
        start.startsWith("--resume found checkpoint-00000002 in ")
            && start.endsWith(
                "none-complete/checkpoints but no complete checkpoint (none has its _COMPLETE"
                    + " marker: the run stopped while writing it): started from step 0"),
        start);
    assertEquals(4, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
    assertTrue(Files.exists(dir.resolve("checkpoints/checkpoint-00000004/_COMPLETE")));
  }
}
