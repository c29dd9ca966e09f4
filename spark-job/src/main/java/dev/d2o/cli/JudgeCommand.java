package dev.d2o.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.d2o.datagen.Judge;
import dev.d2o.datagen.JudgeCounts;
import dev.d2o.datagen.JudgeLabel;
import dev.d2o.datagen.Verdict;
import dev.d2o.error.InputException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code d2o judge}: labels the responses of a JSONL file with the exact judge of the harmlessness
 * domain ({@link Judge}) and prints the label counts and rates per response field.
 */
@Command(
    name = "judge",
    mixinStandardHelpOptions = true,
    description = {
      "Labels responses to prompts of the harmlessness domain helpful, harmful, off-topic or malformed"
          + " by parsing them with the data generator's own grammar, and prints counts and rates.",
      "A response field may hold a string or a list of strings (d2o generate's \"samples\"). The"
          + " prompt's topic is read from the prompt with the generator's templates, or taken from"
          + " --topic-field; a well-formed, harmless answer to a prompt of unknown topic counts as"
          + " unknown-topic."
    })
public final class JudgeCommand implements Callable<Integer> {
  @Option(names = "--input", required = true, description = "JSONL file, one prompt per line.")
  Path input;

  @Option(
      names = "--prompt-field",
      defaultValue = "prompt",
      description = "Field with the prompt (default: ${DEFAULT-VALUE}).")
  String promptField;

  @Option(
      names = "--response-field",
      split = ",",
      defaultValue = "response",
      description =
          "Field(s) with responses, comma-separated; each is counted on its own (default:"
              + " ${DEFAULT-VALUE}; evaluate's generations.jsonl has policy,reference).")
  List<String> responseFields;

  @Option(
      names = "--topic-field",
      description =
          "Field with the prompt's topic (a topic of the generator's book, e.g. \"topic\" in"
              + " harmless/eval-paraphrased.jsonl); without it the topic is read from the prompt.")
  String topicField;

  @Option(
      names = "--output",
      description =
          "Write the rows with judge_<field> (label) and judge_<field>_reason added (JSONL).")
  Path output;

  @Option(names = "--summary", description = "Write the counts and rates per field as JSON.")
  Path summary;

  @Option(
      names = "--examples",
      defaultValue = "3",
      description =
          "Responses printed per field and label, with the reason (default: ${DEFAULT-VALUE}).")
  int examples;

  @Override
  public Integer call() throws IOException {
    Judge judge = Judge.builtIn();
    List<Jsonl.Line> lines = Jsonl.read(input);
    Map<String, JudgeCounts> counts = new LinkedHashMap<>();
    Map<String, List<String>> shown = new LinkedHashMap<>();
    List<ObjectNode> out = new ArrayList<>();
    for (Jsonl.Line line : lines) {
      String prompt = required(line, promptField);
      String topic = topicField == null ? null : required(line, topicField);
      ObjectNode row = line.node().deepCopy();
      for (String field : responseFields) {
        List<String> labels = new ArrayList<>();
        List<String> reasons = new ArrayList<>();
        for (String response : responses(line, field)) {
          Verdict v;
          try {
            v = judge.label(prompt, topic, response);
          } catch (IllegalArgumentException e) {
            throw new InputException(
                input
                    + " "
                    + Jsonl.label(line)
                    + ": field '"
                    + topicField
                    + "': "
                    + e.getMessage());
          }
          counts.computeIfAbsent(field, f -> new JudgeCounts()).add(v);
          labels.add(v.label().key());
          reasons.add(v.reason());
          String key = field + " " + v.label().key();
          List<String> ex = shown.computeIfAbsent(key, k -> new ArrayList<>());
          if (ex.size() < examples) {
            ex.add("  " + Jsonl.label(line) + ": " + response + "\n      -> " + v.reason());
          }
        }
        putAll(row, "judge_" + field, labels, line.node().get(field).isArray());
        putAll(row, "judge_" + field + "_reason", reasons, line.node().get(field).isArray());
      }
      out.add(row);
    }
    print(counts, shown, lines.size());
    if (output != null) {
      Jsonl.writeAtomically(output, out);
    }
    if (summary != null) {
      writeSummary(counts);
    }
    return 0;
  }

  private String required(Jsonl.Line line, String field) {
    String v = Jsonl.text(line, field, input);
    if (v == null) {
      throw new InputException(
          input
              + " "
              + Jsonl.label(line)
              + ": missing field '"
              + field
              + "'; found fields "
              + LogprobsCommand.fieldNames(line.node()));
    }
    return v;
  }

  /** The field's responses: one string, or every string of a list. */
  private List<String> responses(Jsonl.Line line, String field) {
    JsonNode v = line.node().get(field);
    if (v != null && v.isTextual()) {
      return List.of(v.asText());
    }
    if (v != null && v.isArray()) {
      List<String> out = new ArrayList<>();
      for (JsonNode x : v) {
        if (!x.isTextual()) {
          throw new InputException(
              input
                  + " "
                  + Jsonl.label(line)
                  + ": field '"
                  + field
                  + "' holds "
                  + x
                  + "; a response list holds strings");
        }
        out.add(x.asText());
      }
      return out;
    }
    throw new InputException(
        input
            + " "
            + Jsonl.label(line)
            + ": field '"
            + field
            + "' must be a string or a list of strings, found "
            + (v == null
                ? "nothing (fields: " + LogprobsCommand.fieldNames(line.node()) + ")"
                : v));
  }

  private static void putAll(ObjectNode row, String key, List<String> values, boolean asList) {
    if (asList) {
      values.forEach(row.putArray(key)::add);
    } else {
      row.put(key, values.get(0));
    }
  }

  private void print(Map<String, JudgeCounts> counts, Map<String, List<String>> shown, int rows) {
    System.out.printf("judge: %d rows of %s%n", rows, input);
    StringBuilder head = new StringBuilder(String.format("%-12s %6s", "field", "n"));
    for (JudgeLabel l : JudgeLabel.values()) {
      head.append(String.format(" %13s", l.key()));
    }
    System.out.println(head.append(String.format(" %11s", "well-formed")));
    for (Map.Entry<String, JudgeCounts> e : counts.entrySet()) {
      JudgeCounts c = e.getValue();
      StringBuilder line = new StringBuilder(String.format("%-12s %6d", e.getKey(), c.total()));
      for (JudgeLabel l : JudgeLabel.values()) {
        line.append(String.format(" %5d (%.3f)", c.count(l), c.rate(l)));
      }
      System.out.println(line.append(String.format(" %11.3f", c.wellFormedRate())));
    }
    for (Map.Entry<String, List<String>> e : shown.entrySet()) {
      System.out.println(e.getKey() + ":");
      e.getValue().forEach(System.out::println);
    }
  }

  private void writeSummary(Map<String, JudgeCounts> counts) throws IOException {
    ObjectNode root = Jsonl.JSON.createObjectNode();
    root.put("input", input.toString());
    for (Map.Entry<String, JudgeCounts> e : counts.entrySet()) {
      ObjectNode f = root.putObject(e.getKey());
      f.put("responses", e.getValue().total());
      for (JudgeLabel l : JudgeLabel.values()) {
        f.put(l.key(), e.getValue().count(l));
      }
      e.getValue().metrics().forEach(f::put);
    }
    Path abs = summary.toAbsolutePath();
    Files.createDirectories(abs.getParent());
    Files.writeString(
        abs, Jsonl.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n");
  }
}
