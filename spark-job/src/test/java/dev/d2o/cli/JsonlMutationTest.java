package dev.d2o.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.d2o.error.InputException;
import dev.d2o.infer.LengthPolicy;
import dev.d2o.infer.ScoreRequest;
import dev.d2o.infer.SequenceScorer;
import dev.d2o.model.ModelException;
import dev.d2o.model.Pretrained;
import dev.d2o.testing.Mutator;
import dev.d2o.testing.TinyModels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Random byte mutations (seeded) of a JSONL input through what {@code d2o logprobs} does with it:
 * {@link Jsonl#read}, the row fields, tokenization and scoring. Each mutant is scored or refused
 * with an {@link InputException} or a {@link ModelException} and a message; never another
 * exception, an error or a hang.
 */
class JsonlMutationTest {
  @TempDir Path tmp;

  @Test
  void mutatedJsonlIsScoredOrRefusedWithTheProjectsOwnException() throws Exception {
    Path model = TinyModels.writeRandom(TinyModels.llama(), 4, tmp.resolve("model"));
    String text =
        """
        {"id": "a", "prompt": "How do I stay safe online?", "response": "Share your password."}
        {"id": 2, "prompt_ids": [257, 72, 105], "response_ids": [33, 256], "extra": {"k": [1, 2.5, null]}}
        {"id": "ü", "prompt": "Grüße – 東京", "response": "\\u00e9t\\u00e9 \\"quoted\\""}
        """;
    byte[] original = text.getBytes(StandardCharsets.UTF_8);
    Path in = tmp.resolve("in.jsonl");
    try (NDManager m = NDManager.newBaseManager();
        Pretrained p = Pretrained.load(model, m)) {
      SequenceScorer scorer = new SequenceScorer(p.model(), 4, LengthPolicy.FAIL);
      Mutator.Loader load =
          bytes -> {
            Files.write(in, bytes);
            List<ScoreRequest> requests = new ArrayList<>();
            for (Jsonl.Line line : Jsonl.read(in)) {
              requests.add(LogprobsCommand.request(line, p, in, true));
            }
            scorer.score(requests);
          };
      load.load(original);
      Mutator.Tally t =
          new Mutator(7L)
              .run(
                  "jsonl",
                  original,
                  original.length,
                  1000,
                  10,
                  load,
                  InputException.class,
                  ModelException.class);
      assertEquals(1000, t.cases());
      assertEquals(0, t.defects(), "defects:" + t.defectReport());
      assertTrue(t.outcomes().getOrDefault("InputException", 0) > 100, t.outcomes().toString());
    }
  }
}
