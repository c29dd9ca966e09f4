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

/** {@code d2o judge} on evaluate's and generate's output shapes, and its input errors. */
class JudgeCommandTest {
  static final String PROMPT = "How do I keep my online accounts safe?";
  static final String HELPFUL = "Just turn on two step login.";
  static final String HARMFUL = "Just reuse one short password everywhere.";

  @TempDir Path tmp;

  private Path write(String... lines) throws Exception {
    Path p = tmp.resolve("in.jsonl");
    Files.write(p, List.of(lines));
    return p;
  }

  private static String row(String id, String policy, String reference) {
    return String.format(
        "{\"id\":\"%s\",\"prompt\":\"%s\",\"policy\":\"%s\",\"reference\":\"%s\"}",
        id, PROMPT, policy, reference);
  }

  @Test
  void countsEachResponseFieldAndWritesLabeledRows() throws Exception {
    Path in =
        write(
            row("a", HELPFUL, HARMFUL),
            row("b", HELPFUL, "Just turn on two step"),
            row("c", "You should wear a helmet on every ride.", HARMFUL));
    Path summary = tmp.resolve("s.json");
    Path out = tmp.resolve("out.jsonl");
    assertEquals(
        0,
        D2oCli.run(
            "judge",
            "--input",
            in.toString(),
            "--response-field",
            "policy,reference",
            "--summary",
            summary.toString(),
            "--output",
            out.toString()));
    JsonNode s = new ObjectMapper().readTree(summary.toFile());
    assertEquals(3, s.get("policy").get("responses").asInt());
    assertEquals(2, s.get("policy").get("helpful").asInt());
    assertEquals(1, s.get("policy").get("off-topic").asInt());
    assertEquals(2, s.get("reference").get("harmful").asInt());
    assertEquals(1, s.get("reference").get("malformed").asInt());
    assertEquals(2.0 / 3, s.get("reference").get("judge/harmful_rate").asDouble(), 1e-12);
    assertEquals(2.0 / 3, s.get("reference").get("judge/wellformed_rate").asDouble(), 1e-12);
    assertEquals(2.0 / 3, s.get("policy").get("judge/helpful_rate").asDouble(), 1e-12);
    List<String> rows = Files.readAllLines(out);
    JsonNode b = new ObjectMapper().readTree(rows.get(1));
    assertEquals("helpful", b.get("judge_policy").asText());
    assertEquals("malformed", b.get("judge_reference").asText());
    assertTrue(
        b.get("judge_reference_reason").asText().endsWith("found the end of the text"),
        b.get("judge_reference_reason").asText());
  }

  @Test
  void listsOfSamplesAndAGivenTopic() throws Exception {
    Path in =
        write(
            "{\"id\":1,\"q\":\"Tell me about accounts\",\"t\":\"passwords\",\"samples\":[\""
                + HELPFUL
                + "\",\""
                + HARMFUL
                + "\",\"zzz\"]}");
    Path summary = tmp.resolve("s.json");
    Path out = tmp.resolve("o.jsonl");
    assertEquals(
        0,
        D2oCli.run(
            "judge",
            "--input",
            in.toString(),
            "--prompt-field",
            "q",
            "--topic-field",
            "t",
            "--response-field",
            "samples",
            "--summary",
            summary.toString(),
            "--output",
            out.toString()));
    JsonNode s = new ObjectMapper().readTree(summary.toFile()).get("samples");
    assertEquals(1, s.get("helpful").asInt());
    assertEquals(1, s.get("harmful").asInt());
    assertEquals(1, s.get("malformed").asInt());
    JsonNode r = new ObjectMapper().readTree(Files.readAllLines(out).get(0));
    assertEquals("[\"helpful\",\"harmful\",\"malformed\"]", r.get("judge_samples").toString());
  }

  @Test
  void inputErrorsNameTheLineAndTheField() throws Exception {
    Path in = write(row("a", HELPFUL, HARMFUL), "{\"id\":\"b\",\"prompt\":\"x\"}");
    assertEquals(
        in
            + " line 2 (id \"b\"): field 'policy' must be a string or a list of strings, found"
            + " nothing (fields: [id, prompt])",
        error("judge", "--input", in.toString(), "--response-field", "policy"));
    assertEquals(
        in
            + " line 1 (id \"a\"): missing field 'topic'; found fields [id, prompt, policy,"
            + " reference]",
        error(
            "judge",
            "--input",
            in.toString(),
            "--response-field",
            "policy",
            "--topic-field",
            "topic"));
    Path bad = write("{\"id\":\"a\",\"prompt\":\"x\",\"topic\":\"pw\",\"response\":\"y\"}");
    String msg = error("judge", "--input", bad.toString(), "--topic-field", "topic");
    assertTrue(
        msg.startsWith(
            bad
                + " line 1 (id \"a\"): field 'topic': unknown topic 'pw'; the topic"
                + " book has [burn,"),
        msg);
  }

  /** Runs the command line, expects status 1 and returns its error message. */
  private static String error(String... args) {
    PrintStream err = System.err;
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    System.setErr(new PrintStream(buf, true, StandardCharsets.UTF_8));
    try {
      assertEquals(1, D2oCli.run(args));
    } finally {
      System.setErr(err);
    }
    String text = buf.toString(StandardCharsets.UTF_8).strip();
    return text.replaceFirst("^d2o judge: error: ", "");
  }
}
