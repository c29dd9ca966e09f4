package dev.d2o.spark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.d2o.error.ConfigException;
import dev.d2o.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading, overriding and validating the job configuration. */
class JobConfigTest {
  @TempDir Path tmp;

  private static String error(Path file, String... sets) {
    return assertThrows(ConfigException.class, () -> JobConfig.load(file, List.of(sets)))
        .getMessage();
  }

  @Test
  void fileThenOverridesOnTopOfDefaults() throws Exception {
    Path f = tmp.resolve("a.conf");
    Files.writeString(
        f, "train { beta = 0.5, loss = dpo }\nanchors.numSamples = 4\nrun.dir = \"/tmp/x\"\n");
    JobConfig c =
        JobConfig.load(f, List.of("train.beta=0.25", "data.input=s3a://bucket/in.parquet"));
    assertEquals(0.25, c.trainConfig().get(TrainConfig.BETA));
    assertEquals("dpo", c.get(Keys.TRAIN_LOSS));
    assertEquals(4, c.get(Keys.ANCHORS_NUM));
    assertEquals("/tmp/x", c.get(Keys.RUN_DIR));
    assertEquals("s3a://bucket/in.parquet", c.get(Keys.DATA_INPUT));
    assertEquals(0.1, c.trainConfig().get(TrainConfig.ALPHA), "untouched keys keep their defaults");
    assertEquals(4, c.trainConfig().get(TrainConfig.K), "K comes from anchors.numSamples");
  }

  @Test
  void unknownKeySuggestsTheNearest() {
    assertEquals(
        "unknown configuration key 'train.bta' in --set train.bta=0.2; did you mean 'train.beta'?",
        error(null, "train.bta=0.2"));
  }

  @Test
  void unknownKeyInAFileNamesTheFile() throws Exception {
    Path f = tmp.resolve("b.conf");
    Files.writeString(f, "anchors.numSample = 3\n");
    assertEquals(
        "unknown configuration key 'anchors.numSample' in "
            + f
            + "; did you mean 'anchors.numSamples'?",
        error(f));
  }

  @Test
  void wrongTypeAndOutOfRangeNameKeyValueAndWhatIsAllowed() {
    assertEquals(
        "train.beta = \"abc\" (from --set train.beta=abc) has the wrong type; allowed: a number > 0",
        error(null, "train.beta=abc"));
    assertEquals(
        "train.beta = 0 (from --set train.beta=0) is out of range; allowed: a number > 0",
        error(null, "train.beta=0"));
    assertEquals(
        "anchors.numSamples = 0 (from --set anchors.numSamples=0) is out of range; allowed: an integer ≥ 1",
        error(null, "anchors.numSamples=0"));
    assertEquals(
        "train.learningRate = -1 (from --set train.learningRate=-1) is out of range; allowed: a number > 0",
        error(null, "train.learningRate=-1"));
    assertEquals(
        "train.loss = \"kto\" (from --set train.loss=kto) is out of range; allowed: one of [d2o,"
            + " d2o-instance, dpo, npo, ga]",
        error(null, "train.loss=kto"));
    assertEquals(
        "train.maxSteps = 2.5 (from --set train.maxSteps=2.5) has the wrong type; allowed: an integer ≥ 1",
        error(null, "train.maxSteps=2.5"));
  }

  /**
   * {@code train.microBatches} is model-core's single-process option; the Spark trainer refuses
   * anything but 1 and says what bounds its memory instead.
   */
  @Test
  void microBatchesAboveOneAreRefusedByTheSparkTrainer() {
    assertEquals(
        "train.microBatches = 4 (from --set train.microBatches=4) is out of range; allowed: 1 (the"
            + " Spark trainer already sums each batch chunk by chunk: set train.chunkSize to bound"
            + " memory)",
        error(null, "train.microBatches=4"));
    assertEquals(
        1,
        JobConfig.load(null, List.of("train.microBatches=1"))
            .trainConfig()
            .get(TrainConfig.MICRO_BATCHES));
  }

  @Test
  void missingFileAndMalformedOverride() {
    assertEquals(
        "configuration file not found: " + tmp.resolve("none.conf"),
        error(tmp.resolve("none.conf")));
    assertEquals("--set expects key=value, got 'train.beta'", error(null, "train.beta"));
  }

  @Test
  void trainingHashAndDifferencesFollowTrainingRelevantKeysOnly() {
    JobConfig a = JobConfig.defaults();
    JobConfig b = a.with(Keys.TRAIN_BATCH_SIZE, 16).with(Keys.TRAIN_CHECKPOINT_EVERY, 5);
    assertNotEquals(a.trainingHash(), b.trainingHash());
    assertEquals(List.of("train.batchSize (8 -> 16)"), b.trainingDifferences(a.asMap()));
    assertEquals(a.trainingHash(), a.with(Keys.TRAIN_CHECKPOINT_EVERY, 5).trainingHash());
  }

  @Test
  void renderedConfigurationLoadsBackToTheSameValues() throws Exception {
    JobConfig a =
        JobConfig.load(
            null, List.of("anchors.prefix=Be \"safe\": answer kindly.", "train.beta=0.3"));
    Path f = tmp.resolve("effective.conf");
    Files.writeString(f, a.render());
    assertEquals(a.asMap(), JobConfig.load(f, List.of()).asMap());
  }

  @Test
  void conflictingOptionsAreRefused() {
    assertEquals(
        "anchors.refreshEvery = 5 conflicts with reference.updateEvery = 2: refreshed anchors are scored"
            + " under the reference of their step, so anchors.refreshEvery must be a multiple of reference.updateEvery"
            + " (or one of them 0)",
        error(null, "anchors.refreshEvery=5", "reference.updateEvery=2"));
  }
}
