package dev.d2o.spark.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.d2o.spark.config.Keys;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The names {@code data.preset} allows are exactly the presets {@link Preset} converts. */
class PresetNamesTest {
  @Test
  void theKeyAllowsEveryPresetAndNoOther() {
    assertEquals(Keys.PRESETS, Arrays.stream(Preset.values()).map(Preset::key).toList());
    for (String name : Keys.PRESETS) {
      assertEquals(name, Preset.parse(name).key());
    }
  }
}
