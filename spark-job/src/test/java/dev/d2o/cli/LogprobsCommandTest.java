package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.testing.TinyModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code d2o logprobs} end to end through the command line. */
class LogprobsCommandTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  @TempDir static Path tmp;
  static Path model;

  @BeforeAll
  static void model() {
    model = TinyModels.writeRandom(TinyModels.llama(), 2, tmp.resolve("model"));
  }

  /** Runs the CLI, returning its exit code and what it printed to stderr. */
  static Result run(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream old = System.err;
    System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
    try {
      int rc = D2oCli.run(args);
      return new Result(rc, err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setErr(old);
    }
  }

  record Result(int rc, String err) {}

  @Test
  void scoresTextAndIdRowsInInputOrder() throws Exception {
    Path in = tmp.resolve("in.jsonl");
    Path out = tmp.resolve("out/scores.jsonl");
    Files.writeString(
        in,
        """
        {"id": "a", "prompt": "How do I bake bread?", "response": "Mix flour, water and yeast."}

        {"id": 2, "prompt_ids": [257, 72, 105], "response_ids": [33, 256], "extra": true}
        {"id": "c", "prompt": "Hi", "response": ""}
        """);
    Result r =
        run(
            "logprobs",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            out.toString(),
            "--batch-size",
            "2");
    assertEquals(0, r.rc(), r.err());
    List<String> lines = Files.readAllLines(out);
    assertEquals(3, lines.size());
    JsonNode a = JSON.readTree(lines.get(0));
    JsonNode b = JSON.readTree(lines.get(1));
    JsonNode c = JSON.readTree(lines.get(2));
    assertEquals("a", a.get("id").asText());
    assertEquals(
        "Mix flour, water and yeast.".length() + 1, a.get("tokens").asInt(), "bytes + EOS");
    assertEquals(2, b.get("id").asInt());
    assertTrue(b.get("extra").asBoolean(), "input fields are repeated");
    assertEquals(2, b.get("tokens").asInt());
    assertEquals(1, c.get("tokens").asInt(), "an empty response still scores its EOS");
    double sum = 0;
    for (JsonNode t : a.get("token_logps")) {
      sum += t.asDouble();
      assertTrue(t.asDouble() < 0);
    }
    assertEquals(a.get("logp").asDouble(), sum, 1e-4);
  }

  @Test
  void malformedLineFailsWithItsNumberAndLeavesNoOutput() throws Exception {
    Path in = tmp.resolve("bad.jsonl");
    Path out = tmp.resolve("bad-out.jsonl");
    Files.writeString(
        in, "{\"id\": 1, \"prompt_ids\": [1], \"response_ids\": [2]}\n{\"id\": 2, \"prompt\": \n");
    Result r =
        run(
            "logprobs",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            out.toString());
    assertEquals(1, r.rc());
    assertTrue(r.err().contains("d2o logprobs: error: " + in + " line 2: invalid JSON"), r.err());
    assertFalse(Files.exists(out));
  }

  @Test
  void missingInputFileIsNamed() {
    Path in = tmp.resolve("absent.jsonl");
    Result r =
        run(
            "logprobs",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("absent-out.jsonl").toString());
    assertEquals(1, r.rc());
    assertTrue(r.err().contains("d2o logprobs: error: input file not found: " + in), r.err());
  }

  @Test
  void rowWithoutPromptAndResponseNamesItsFields() throws Exception {
    Path in = tmp.resolve("fields.jsonl");
    Files.writeString(in, "{\"id\": 9, \"question\": \"x\", \"answer\": \"y\"}\n");
    Result r =
        run(
            "logprobs",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("f.jsonl").toString());
    assertEquals(1, r.rc());
    assertTrue(
        r.err()
            .contains(
                in
                    + " line 1 (id 9): expected 'prompt' and 'response' strings or 'prompt_ids' and"
                    + " 'response_ids' lists; found fields [id, question, answer]"),
        r.err());
  }

  @Test
  void tokenIdOutsideVocabularyNamesTheRow() throws Exception {
    Path in = tmp.resolve("vocab.jsonl");
    Files.writeString(
        in,
        "{\"id\": 1, \"prompt_ids\": [1], \"response_ids\": [2]}\n"
            + "{\"id\": 2, \"prompt_ids\": [1], \"response_ids\": [999]}\n");
    Result r =
        run(
            "logprobs",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("v.jsonl").toString());
    assertEquals(1, r.rc());
    assertTrue(
        r.err()
            .contains(
                "row line 2 (id 2): response token id 999 at index 0 is outside the model's"
                    + " vocabulary [0, 260)"),
        r.err());
  }

  @Test
  void invalidUtf8NamesTheLine() throws Exception {
    Path in = tmp.resolve("utf.jsonl");
    byte[] bad =
        "{\"id\": 1, \"prompt\": \"a\", \"response\": \"b\"}\n{\"id\": 2, \"prompt\": \"\u00ff"
            .getBytes(StandardCharsets.UTF_8);
    byte[] withInvalid = java.util.Arrays.copyOf(bad, bad.length + 2);
    withInvalid[bad.length] = (byte) 0xC3; // a lead byte followed by a non-continuation byte
    withInvalid[bad.length + 1] = (byte) 0x28;
    Files.write(in, withInvalid);
    Result r =
        run(
            "logprobs",
            "--model",
            model.toString(),
            "--input",
            in.toString(),
            "--output",
            tmp.resolve("u.jsonl").toString());
    assertEquals(1, r.rc());
    assertTrue(r.err().contains(in + " line 2: invalid UTF-8"), r.err());
  }
}
