package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.model.ModelFamilies;
import dev.d2o.model.Pretrained;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code d2o random-model} writes a loadable model of every registered family. */
class RandomModelCommandTest {
  @TempDir Path tmp;

  @Test
  void everyFamilyWritesALoadableModel() {
    for (String type : ModelFamilies.types()) {
      Path out = tmp.resolve(type);
      int rc =
          D2oCli.run(
              "random-model",
              "--type",
              type,
              "--out",
              out.toString(),
              "--hidden",
              "32",
              "--context",
              "64");
      assertEquals(0, rc, type);
      try (NDManager m = NDManager.newBaseManager();
          Pretrained p = Pretrained.load(out, m)) {
        assertEquals(type, p.model().config().modelType());
        assertEquals(32, p.model().config().hiddenSize());
        assertEquals(258, p.tokenizer().vocabularySize(), "the byte-level tokenizer");
      }
    }
  }

  @Test
  void anUnknownTypeNamesTheFamilies() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    int rc;
    try {
      rc = D2oCli.run("random-model", "--type", "mamba", "--out", tmp.resolve("m").toString());
    } finally {
      System.setErr(old);
    }
    assertEquals(1, rc);
    assertTrue(
        err.toString(StandardCharsets.UTF_8)
            .contains(
                "d2o random-model: error: unknown model_type 'mamba'; supported model types: gpt2,"
                    + " llama, mistral, qwen2, qwen3, gemma2"),
        err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void aNamedShapeOrDtypeOutsideTheListIsRefused() {
    assertEquals(
        "d2o random-model: error: --shape llama3-70b: allowed are llama3-1b and llama3-8b-embed",
        errorOf("--type", "llama", "--shape", "llama3-70b"));
    assertEquals(
        "d2o random-model: error: --shape llama3-1b is a Llama shape: use --type llama",
        errorOf("--type", "gpt2", "--shape", "llama3-1b"));
    assertEquals(
        "d2o random-model: error: --dtype int8: allowed are float32, float16 and bfloat16",
        errorOf("--type", "llama", "--dtype", "int8"));
  }

  @Test
  void aFloat16ModelLoadsAsFloat16() {
    Path out = tmp.resolve("half");
    int rc =
        D2oCli.run(
            "random-model", "--type", "llama", "--out", out.toString(), "--dtype", "float16");
    assertEquals(0, rc);
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(out, m, dev.d2o.model.LoadOptions.of("auto"))) {
      assertEquals(
          ai.djl.ndarray.types.DataType.FLOAT16,
          p.model().param("model.norm.weight").getDataType(),
          "auto keeps the checkpoint's float16 on the CPU");
    }
  }

  private String errorOf(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    String[] all = new String[args.length + 3];
    all[0] = "random-model";
    all[1] = "--out";
    all[2] = tmp.resolve("refused").toString();
    System.arraycopy(args, 0, all, 3, args.length);
    int rc;
    try {
      rc = D2oCli.run(all);
    } finally {
      System.setErr(old);
    }
    assertEquals(1, rc);
    return err.toString(StandardCharsets.UTF_8).strip();
  }
}
