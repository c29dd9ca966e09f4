package dev.d2o.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.testing.Mutator;
import dev.d2o.testing.TinyModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random byte mutations (seeded, so every run tries the same cases) of a small safetensors file and
 * of a {@code config.json}: each mutant must load or fail with a {@link ModelException} with a
 * message; never another exception, an error (out of memory) or a hang. The test prints how many
 * cases it tried and how each ended.
 */
class MutationTest {
  static final int CASES = 1000;
  static final long TIMEOUT_S = 10;
  @TempDir Path tmp;

  /** Three small tensors in the three floating dtypes the loader converts, plus metadata. */
  static byte[] smallSafetensors() {
    String header =
        "{\"__metadata__\":{\"format\":\"pt\"},"
            + "\"w\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},"
            + "\"h\":{\"dtype\":\"F16\",\"shape\":[4],\"data_offsets\":[24,32]},"
            + "\"b\":{\"dtype\":\"BF16\",\"shape\":[1,2],\"data_offsets\":[32,36]}}";
    byte[] h = header.getBytes(StandardCharsets.UTF_8);
    ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 36).order(ByteOrder.LITTLE_ENDIAN);
    buf.putLong(h.length).put(h);
    for (int i = 0; i < 6; i++) {
      buf.putFloat(i * 0.5f - 1f);
    }
    buf.putShort((short) 0x3C00)
        .putShort((short) 0xC000)
        .putShort((short) 0x7BFF)
        .putShort((short) 0x0001);
    buf.putShort((short) 0x3FC0).putShort((short) 0xBF80);
    return buf.array();
  }

  @Test
  void mutatedSafetensorsLoadOrFailWithAModelException() throws Exception {
    byte[] original = smallSafetensors();
    Path file = tmp.resolve("m.safetensors");
    Mutator.Loader load =
        bytes -> {
          Files.write(file, bytes);
          try (SafeTensorsFile f = SafeTensorsFile.open(file);
              NDManager m = NDManager.newBaseManager()) {
            for (String name : f.entries().keySet()) {
              f.loadF32(name, m).close();
            }
          }
        };
    load.load(original); // the unmutated file loads
    int headerEnd = original.length - 36;
    Mutator.Tally t =
        new Mutator(20240303L)
            .run("safetensors", original, headerEnd, CASES, TIMEOUT_S, load, ModelException.class);
    assertEquals(CASES, t.cases());
    assertEquals(0, t.defects(), "defects:" + t.defectReport());
    assertTrue(
        t.outcomes().getOrDefault("ModelException", 0) > CASES / 2,
        "most mutants are refused: " + t.outcomes());
  }

  @Test
  void mutatedConfigJsonLoadsOrFailsWithAModelException() throws Exception {
    for (ModelConfig family :
        new ModelConfig[] {
          TinyModels.llama(), TinyModels.gpt2(), TinyModels.qwen3(), TinyModels.gemma2()
        }) {
      Path dir = TinyModels.writeRandom(family, 5, tmp.resolve(family.modelType()));
      Path config = dir.resolve("config.json");
      byte[] original = Files.readAllBytes(config);
      try (NDManager m = NDManager.newBaseManager()) {
        Mutator.Loader load =
            bytes -> {
              Files.write(config, bytes);
              try (Pretrained p = Pretrained.load(dir, m)) {
                p.model().config().parameterCount();
              }
            };
        Mutator.Tally t =
            new Mutator(family.modelType().hashCode())
                .run(
                    "config.json (" + family.modelType() + ")",
                    original,
                    original.length,
                    CASES,
                    TIMEOUT_S,
                    load,
                    ModelException.class);
        assertEquals(CASES, t.cases());
        assertEquals(0, t.defects(), "defects:" + t.defectReport());
      }
    }
  }
}
