package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.d2o.spark.stages.SelectionRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code d2o compare --learning-rates} on a tiny budget: every loss at every grid value, the
 * validation split is the last training prompts by id and disjoint from the training part, each
 * loss's choice is the rule's on the validation reports, and only the chosen run is measured on the
 * held-out prompts (and on {@code --also-eval}).
 */
class CompareCommandIT {
  static final ObjectMapper JSON = new ObjectMapper();
  @TempDir Path tmp;

  @Test
  void sweepsTheGridAndMeasuresOnlyTheChosenRunsOnTheHeldOutPrompts() throws Exception {
    Path base = tmp.resolve("cmp");
    Path out = tmp.resolve("results.md");
    int rc =
        D2oCli.run(
            "compare",
            "--conf",
            "../conf/local.conf",
            "--losses",
            "d2o,ga",
            "--learning-rates",
            "1e-4,3e-3",
            "--validation-rows",
            "6",
            "--also-eval",
            "../data-samples/harmless/eval-paraphrased.jsonl",
            "--out",
            out.toString(),
            "--set",
            "run.dir=" + base,
            "--set",
            "data.input=../data-samples/harmless/train.jsonl",
            "--set",
            "data.maxRows=8",
            "--set",
            "model.path=../data-samples/model",
            "--set",
            "data.eval=../data-samples/harmless/eval.jsonl",
            "--set",
            "eval.costModel=../data-samples/cost-model",
            "--set",
            "anchors.numSamples=2",
            "--set",
            "anchors.maxNewTokens=8",
            "--set",
            "train.maxSteps=2",
            "--set",
            "train.batchSize=4",
            "--set",
            "train.checkpointEvery=0",
            "--set",
            "eval.maxPrompts=5",
            "--set",
            "eval.maxNewTokens=12",
            "--set",
            "eval.every=0");
    assertEquals(0, rc);
    SparkSession spark = SparkSession.builder().master("local[1]").getOrCreate();
    List<String> validation =
        spark
            .read()
            .parquet(base.resolve("split/validation").toString())
            .select("id")
            .collectAsList()
            .stream()
            .map(r -> r.getString(0))
            .sorted()
            .toList();
    assertEquals(
        List.of(
            "train-02994",
            "train-02995",
            "train-02996",
            "train-02997",
            "train-02998",
            "train-02999"),
        validation);
    List<Row> train = spark.read().parquet(base.resolve("split/train").toString()).collectAsList();
    assertEquals(2994, train.size());
    assertTrue(train.stream().noneMatch(r -> validation.contains(r.getAs("id"))), "disjoint");
    String md = Files.readString(out);
    for (String loss : List.of("d2o", "ga")) {
      List<SelectionRule.Candidate> grid = new ArrayList<>();
      double refWellformed = Double.NaN;
      for (String value : List.of("lr=1.0E-4", "lr=0.003")) {
        Path run = base.resolve(loss).resolve(value);
        JsonNode v = JSON.readTree(run.resolve("eval/report.json").toFile());
        assertEquals(6, v.get("prompts").asInt(), "evaluated on the validation prompts: " + run);
        refWellformed = v.get("reference").get("judge/wellformed_rate").asDouble();
        JsonNode p = v.get("policy");
        grid.add(
            new SelectionRule.Candidate(
                value,
                p.get("judge/helpful_rate").asDouble(),
                p.get("judge/wellformed_rate").asDouble(),
                p.get("kl").asDouble()));
      }
      var chosen = SelectionRule.choose(grid, refWellformed);
      for (SelectionRule.Candidate c : grid) {
        Path run = base.resolve(loss).resolve(c.name());
        boolean isChosen = chosen.isPresent() && chosen.get().name().equals(c.name());
        assertEquals(isChosen, Files.exists(run.resolve("heldout/report.json")), run.toString());
        assertEquals(isChosen, Files.exists(run.resolve("also-eval/report.json")), run.toString());
        assertTrue(
            md.contains(
                "| `" + loss + "` | " + c.name() + " | " + (isChosen ? "yes" : "no") + " |"),
            md);
        if (isChosen) {
          JsonNode h = JSON.readTree(run.resolve("heldout/report.json").toFile());
          assertEquals(5, h.get("prompts").asInt(), "measured on eval.maxPrompts held-out prompts");
          assertTrue(md.contains("| `" + loss + "` | " + c.name() + " | "), md);
        }
      }
      assertTrue(Files.exists(tmp.resolve("results-frontier-" + loss + ".png")), loss);
    }
    assertTrue(md.contains("## Frontier: every grid value on the validation prompts"), md);
    assertTrue(md.contains("--learning-rates 1.0E-4,0.003 --validation-rows 6"), md);
  }
}
