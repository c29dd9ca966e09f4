package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import dev.d2o.infer.GenerationRequest;
import dev.d2o.infer.GenerationResult;
import dev.d2o.infer.Generator;
import dev.d2o.infer.SamplingConfig;
import dev.d2o.model.Pretrained;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code d2o generate} end to end on the golden GPT-2 checkpoint, and its input errors. */
class GenerateCommandTest {
  static final Path GOLDEN = Path.of("../model-core/src/test/resources/golden/gpt2-f32-hub");
  static final int EOS = 95;

  @TempDir Path tmp;

  @Test
  void promptIdsEndToEnd() throws IOException {
    Path in =
        write(
            "in.jsonl",
            "{\"id\":\"a\",\"prompt_ids\":[5,6,7],\"extra\":1}",
            "{\"id\":7,\"prompt_ids\":[9,10,11,12,13,14,15]}",
            "",
            "{\"id\":\"c\",\"prompt_ids\":[40]}");
    String[] args = {
      "generate",
      "--model",
      GOLDEN.toString(),
      "--input",
      in.toString(),
      "--output",
      tmp.resolve("out.jsonl").toString(),
      "--num-samples",
      "3",
      "--max-new-tokens",
      "10",
      "--top-p",
      "0.9",
      "--seed",
      "4"
    };
    assertEquals(0, D2oCli.run(args));
    List<String> out = Files.readAllLines(tmp.resolve("out.jsonl"));
    assertEquals(3, out.size());
    JsonNode first = Jsonl.JSON.readTree(out.get(0));
    assertEquals(1, first.get("extra").asInt(), "input fields are repeated");
    assertFalse(first.has("samples"), "no tokenizer.json: no texts");
    // the same samples as the library call with (seed 4, id, j): nothing else enters
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(GOLDEN, m)) {
      List<GenerationResult> lib =
          new Generator(p.model(), null, 1, 64)
              .generate(
                  List.of(new GenerationRequest("7", new int[] {9, 10, 11, 12, 13, 14, 15})),
                  3,
                  new SamplingConfig(1.0, 0.9, 0, 10, 0, 1.0, 4));
      JsonNode second = Jsonl.JSON.readTree(out.get(1));
      for (int j = 0; j < 3; j++) {
        assertArrayEquals(
            lib.get(0).samples().get(j).tokenIds(), ints(second.get("sample_ids").get(j)));
        assertEquals(
            lib.get(0).samples().get(j).logp(),
            second.get("sample_logps").get(j).asDouble(),
            1e-4,
            "logits differ in the last bits between batch shapes");
      }
    }
    for (String line : out) {
      JsonNode row = Jsonl.JSON.readTree(line);
      assertEquals(3, row.get("sample_ids").size());
      for (JsonNode ids : row.get("sample_ids")) {
        int[] s = ints(ids);
        assertTrue(s.length >= 1 && s.length <= 10);
        for (int j = 0; j < s.length - 1; j++) {
          assertTrue(s[j] != EOS && s[j] >= 0 && s[j] < 96, "EOS only at the end");
        }
        assertTrue(s.length == 10 || s[s.length - 1] == EOS, "a short sample ends with EOS");
      }
    }
    // another batch size gives the same samples
    String[] again = java.util.Arrays.copyOf(args, args.length + 2);
    again[again.length - 2] = "--batch-size";
    again[again.length - 1] = "1";
    again[6] = tmp.resolve("out1.jsonl").toString();
    assertEquals(0, D2oCli.run(again));
    List<String> out1 = Files.readAllLines(tmp.resolve("out1.jsonl"));
    for (int i = 0; i < out.size(); i++) {
      JsonNode a = Jsonl.JSON.readTree(out.get(i));
      JsonNode b = Jsonl.JSON.readTree(out1.get(i));
      assertEquals(a.get("id"), b.get("id"));
      assertEquals(a.get("sample_ids"), b.get("sample_ids"));
    }
  }

  @Test
  void textPromptsAreDecodedWithTheTokenizer() throws IOException {
    Path model = withWordTokenizer();
    Path in =
        write(
            "in.jsonl",
            "{\"id\":\"t\",\"prompt\":\"w3 w4 w5\"}",
            "{\"id\":\"u\",\"prompt_ids\":[3]}");
    assertEquals(
        0,
        D2oCli.run(
            "generate",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("out.jsonl").toString(),
            "--num-samples",
            "2",
            "--max-new-tokens",
            "5",
            "--temperature",
            "0"));
    for (String line : Files.readAllLines(tmp.resolve("out.jsonl"))) {
      JsonNode row = Jsonl.JSON.readTree(line);
      for (int j = 0; j < 2; j++) {
        int[] ids = ints(row.get("sample_ids").get(j));
        StringBuilder words = new StringBuilder();
        for (int t : ids) {
          if (t != EOS) {
            words.append(words.length() == 0 ? "" : " ").append("w").append(t);
          }
        }
        assertEquals(words.toString(), row.get("samples").get(j).asText());
      }
      assertEquals(
          row.get("sample_ids").get(0), row.get("sample_ids").get(1), "greedy samples agree");
      assertEquals(0.0, row.get("sample_logps").get(0).asDouble());
    }
  }

  @Test
  void badInputIsNamed() throws IOException {
    Path model = withWordTokenizer();
    assertError(
        "line 2: missing field 'id' (each example needs an id: sample j of an example is seeded by (seed,"
            + " id, j)); found fields [prompt_ids]",
        model,
        "{\"id\":1,\"prompt_ids\":[4]}",
        "{\"prompt_ids\":[4]}");
    assertError(
        "line 1 (id \"e\"): empty prompt: \"\" has no tokens and the model adds no BOS; generation needs at"
            + " least one prompt token",
        model,
        "{\"id\":\"e\",\"prompt\":\"\"}");
    assertError(
        "line 1 (id \"e\"): empty 'prompt_ids': generation needs at least one prompt token",
        model,
        "{\"id\":\"e\",\"prompt_ids\":[]}");
    assertError(
        "line 2: duplicate id \"a\" (first on line 1); ids must be unique, as they seed the samples",
        model,
        "{\"id\":\"a\",\"prompt_ids\":[4]}",
        "{\"id\":\"a\",\"prompt_ids\":[5]}");
    String ok = "{\"id\":\"a\",\"prompt_ids\":[4]}";
    assertError(
        "error: --num-samples must be ≥ 1, got 0", model, List.of("--num-samples", "0"), ok);
    assertError(
        "error: temperature = -1.0 is invalid: must be a finite number ≥ 0 (0 = greedy)",
        model,
        List.of("--temperature", "-1"),
        ok);
    assertError(
        "error: top_p = 0.0 is invalid: must be in (0, 1] (1 = off)",
        model,
        List.of("--top-p", "0"),
        ok);
    assertError(
        "error: top_p = 1.5 is invalid: must be in (0, 1] (1 = off)",
        model,
        List.of("--top-p", "1.5"),
        ok);
    assertFalse(Files.exists(tmp.resolve("bad.jsonl")), "no output on error");
  }

  private void assertError(String expected, Path model, String... lines) throws IOException {
    assertError(expected, model, List.of("--num-samples", "2"), lines);
  }

  private void assertError(String expected, Path model, List<String> opts, String... lines)
      throws IOException {
    Path in = write("bad-in.jsonl", lines);
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "generate",
                "--model",
                model.toString(),
                "--input",
                in.toString(),
                "--output",
                tmp.resolve("bad.jsonl").toString()));
    args.addAll(opts);
    if (!opts.contains("--num-samples")) {
      args.addAll(List.of("--num-samples", "2"));
    }
    PrintStream saved = System.err;
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int rc;
    try {
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      rc = D2oCli.run(args.toArray(new String[0]));
    } finally {
      System.setErr(saved);
    }
    String msg = err.toString(StandardCharsets.UTF_8);
    assertEquals(1, rc, msg);
    assertTrue(
        msg.startsWith("d2o generate: ") && msg.contains(expected),
        "expected «" + expected + "» in: " + msg);
  }

  /**
   * A copy of the golden model with a word-level tokenizer: "w3" … "w94" are ids 3 … 94, "<eos>" is
   * 95.
   */
  private Path withWordTokenizer() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("model"));
    for (String f : new String[] {"config.json", "model.safetensors"}) {
      Files.copy(
          GOLDEN.resolve(f), dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    StringBuilder vocab = new StringBuilder("\"<unk>\":0,\"<pad>\":1,\"<x>\":2");
    for (int i = 3; i < 95; i++) {
      vocab.append(",\"w").append(i).append("\":").append(i);
    }
    vocab.append(",\"<eos>\":95");
    Files.writeString(
        dir.resolve("tokenizer.json"),
        "{\"version\":\"1.0\",\"truncation\":null,\"padding\":null,"
            + "\"added_tokens\":[{\"id\":95,\"content\":\"<eos>\",\"single_word\":false,\"lstrip\":false,\"rstrip\":false,"
            + "\"normalized\":false,\"special\":true}],\"normalizer\":null,\"pre_tokenizer\":{\"type\":\"Whitespace\"},"
            + "\"post_processor\":null,\"decoder\":null,\"model\":{\"type\":\"WordLevel\",\"vocab\":{"
            + vocab
            + "},\"unk_token\":\"<unk>\"}}");
    return dir;
  }

  private Path write(String name, String... lines) throws IOException {
    return Files.writeString(tmp.resolve(name), String.join("\n", lines) + "\n");
  }

  private static int[] ints(JsonNode arr) {
    int[] out = new int[arr.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = arr.get(i).asInt();
    }
    return out;
  }
}
