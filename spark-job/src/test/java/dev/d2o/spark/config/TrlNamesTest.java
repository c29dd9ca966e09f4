package dev.d2o.spark.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.d2o.error.ConfigException;
import dev.d2o.train.TrainConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TRL's names of keys as aliases: in a file and in --set; a key set both ways is refused. */
class TrlNamesTest {
  @TempDir Path tmp;

  @Test
  void trlNamesSetTheirKeysInAFileAndWithSet() throws Exception {
    Path f = tmp.resolve("trl.conf");
    Files.writeString(f, "learning_rate = 5e-7\nbeta = 0.25\nmax_steps = 30\nseed = 3\n");
    JobConfig c = JobConfig.load(f, List.of("warmup_steps=4", "output_dir=/tmp/out"));
    assertEquals(5e-7, c.trainConfig().get(TrainConfig.LEARNING_RATE));
    assertEquals(0.25, c.trainConfig().get(TrainConfig.BETA));
    assertEquals(30, c.get(Keys.TRAIN_MAX_STEPS));
    assertEquals(3, c.get(Keys.RUN_SEED));
    assertEquals(4, c.trainConfig().get(TrainConfig.WARMUP_STEPS));
    assertEquals("/tmp/out", c.get(Keys.RUN_DIR));
    // the saved configuration names the keys, not the aliases
    assertEquals(
        "train.learningRate = 5.0E-7",
        c.render().lines().filter(l -> l.startsWith("train.learningRate")).findFirst().get());
    // --set overrides a file's alias as it overrides the key
    assertEquals(
        0.5, JobConfig.load(f, List.of("train.beta=0.5")).trainConfig().get(TrainConfig.BETA));
    assertEquals(0.5, JobConfig.load(f, List.of("beta=0.5")).trainConfig().get(TrainConfig.BETA));
  }

  @Test
  void aKeySetAsItselfAndByItsTrlNameIsRefused() throws Exception {
    Path f = tmp.resolve("both.conf");
    Files.writeString(f, "learning_rate = 1e-6\ntrain.learningRate = 2e-6\n");
    assertEquals(
        "train.learningRate is set twice in "
            + f
            + ": as train.learningRate and as learning_rate (TRL's name for it); set it once",
        assertThrows(ConfigException.class, () -> JobConfig.load(f, List.of())).getMessage());
    assertEquals(
        "train.beta is set twice in the --set options: as train.beta and as beta (TRL's name for"
            + " it); set it once",
        assertThrows(
                ConfigException.class,
                () -> JobConfig.load(null, List.of("train.beta=0.2", "beta=0.3")))
            .getMessage());
    assertEquals(
        "train.beta = 0 (from --set beta=0) is out of range; allowed: a number > 0",
        assertThrows(ConfigException.class, () -> JobConfig.load(null, List.of("beta=0")))
            .getMessage(),
        "an alias's value is validated as the key's");
  }

  @Test
  void perDeviceBatchSizeIsNoAlias() {
    assertNull(TrlNames.keyOf("per_device_train_batch_size"));
    assertNull(TrlNames.keyOf("gradient_accumulation_steps"));
    assertEquals(
        "unknown configuration key 'per_device_train_batch_size' in --set"
            + " per_device_train_batch_size=4: TRL's per_device_train_batch_size is no alias: TRL's"
            + " batch per device, whose global batch is it times gradient_accumulation_steps times"
            + " the number of devices; here train.batchSize is the global batch whatever the"
            + " cluster (that is what makes a distributed run equal a single-process one), so set"
            + " train.batchSize to TRL's global batch; did you mean '"
            + Keys.nearest("per_device_train_batch_size")
            + "'?",
        assertThrows(
                ConfigException.class,
                () -> JobConfig.load(null, List.of("per_device_train_batch_size=4")))
            .getMessage());
    for (var e : TrlNames.aliases().entrySet()) {
      assertEquals(e.getValue(), Keys.find(e.getValue()).name(), e.getKey());
    }
  }

  @Test
  void columnNamesOtherThanTheIdConflictWithAPreset() {
    assertEquals(
        "data.columns.prompt = question conflicts with data.preset = hh-rlhf: a preset reads its data"
            + " set's own columns (data.columns.prompt and data.columns.negative apply to"
            + " data.preset = none; data.columns.id to any)",
        assertThrows(
                ConfigException.class,
                () ->
                    JobConfig.load(
                        null, List.of("data.preset=hh-rlhf", "data.columns.prompt=question")))
            .getMessage());
    assertEquals(
        "uid",
        JobConfig.load(null, List.of("data.preset=hh-rlhf", "data.columns.id=uid"))
            .get(Keys.DATA_COLUMN_ID));
  }
}
