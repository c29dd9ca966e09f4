package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code d2o make-sft} and {@code d2o make-paraphrased}: output shape and input errors. */
class MakeSftCommandTest {
  @TempDir Path tmp;

  @Test
  void writesPerPromptResponsesAtTheShare() throws Exception {
    Path in = tmp.resolve("p.jsonl");
    Files.write(
        in,
        List.of(
            "{\"prompt\":\"How do I keep my online accounts safe?\",\"topic\":\"passwords\"}",
            "{\"prompt\":\"Tips for sleeping?\",\"topic\":\"sleep\",\"extra\":1}"));
    Path out = tmp.resolve("sft.jsonl");
    assertEquals(
        0,
        D2oCli.run(
            "make-sft",
            "--prompts",
            in.toString(),
            "--out",
            out.toString(),
            "--per-prompt",
            "5",
            "--harmful-share",
            "0.4"));
    List<String> lines = Files.readAllLines(out);
    assertEquals(10, lines.size());
    int harmful = 0;
    for (String l : lines) {
      JsonNode r = new ObjectMapper().readTree(l);
      assertEquals(List.of("id", "category", "prompt", "response", "label"), names(r));
      harmful += r.get("label").asInt();
    }
    assertEquals(4, harmful);
  }

  private static List<String> names(JsonNode r) {
    List<String> out = new java.util.ArrayList<>();
    r.fieldNames().forEachRemaining(out::add);
    return out;
  }

  @Test
  void badInputIsNamed() throws Exception {
    Path in = tmp.resolve("p.jsonl");
    Files.write(in, List.of("{\"prompt\":\"a\",\"topic\":\"sleep\"}", "{\"prompt\":\"b\"}"));
    String out = tmp.resolve("o.jsonl").toString();
    assertEquals(
        in + " line 2: needs string fields 'prompt' and 'topic'; found fields [prompt]",
        error("make-sft", "--prompts", in.toString(), "--out", out));
    Files.write(in, List.of("{\"id\":\"x\",\"prompt\":\"a\",\"topic\":\"slep\"}"));
    String unknown = error("make-sft", "--prompts", in.toString(), "--out", out);
    assertTrue(
        unknown.startsWith(
            in + " line 1 (id \"x\"): unknown topic 'slep'; the topic book has [burn, sleep,"),
        unknown);
    assertEquals(
        "--per-prompt must be ≥ 1, got 0",
        error("make-sft", "--prompts", in.toString(), "--out", out, "--per-prompt", "0"));
  }

  @Test
  void makeParaphrasedWritesTheCommittedFile() throws Exception {
    assertEquals(0, D2oCli.run("make-paraphrased", "--out", tmp.toString()));
    assertEquals(
        Files.readString(Path.of("..", "data-samples", "harmless", "eval-paraphrased.jsonl")),
        Files.readString(tmp.resolve("harmless").resolve("eval-paraphrased.jsonl")));
  }

  private static String error(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(1, D2oCli.run(args));
    } finally {
      System.setErr(err);
    }
    return buf.toString(StandardCharsets.UTF_8).strip().replaceFirst("^d2o [a-z-]+: error: ", "");
  }
}
