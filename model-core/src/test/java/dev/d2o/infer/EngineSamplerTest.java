package dev.d2o.infer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The engine's draw against {@link TokenSampler}'s on the same logits and the same uniforms, over
 * 24 decoding steps of 16 rows (with the repetition penalty's seen tokens growing as in a decode):
 * the same token and the same log-prob (within 1e-9) in every draw. Logits are Gaussian with a
 * spread of {@code scale}; with {@code quantum} > 0 they are rounded to multiples of it, so many
 * probabilities tie exactly and top-k/top-p must cut between equal ones as TokenSampler does (lower
 * id first).
 */
class EngineSamplerTest {
  static final int ROWS = 16;
  static final int STEPS = 24;

  @ParameterizedTest(name = "T={0} top_p={1} top_k={2} min_new={3} penalty={4} V={5} q={7}")
  @CsvSource({
    "1.0, 1.0,  0, 0, 1.0, 1000, 3.0, 0",
    "0.7, 1.0, 50, 0, 1.0, 1000, 3.0, 0",
    "1.0, 0.9,  0, 0, 1.0, 1000, 3.0, 0",
    "1.3, 0.8, 20, 0, 1.0, 1000, 2.0, 0",
    "1.0, 0.9, 30, 0, 1.0, 1000, 2.0, 0.5",
    "1.0, 0.5,  0, 0, 1.0,  512, 1.0, 0.25",
    "0.9, 0.95, 40, 5, 1.1, 1000, 3.0, 0",
    "1.0, 1.0,  0, 8, 1.5,  300, 2.0, 0.5",
    "0.0, 1.0,  0, 3, 1.2, 1000, 3.0, 0.5",
    "0.8, 0.95, 0, 0, 1.0, 50257, 4.0, 0"
  })
  void drawsTheTokenTheJavaSamplerDraws(
      double temperature,
      double topP,
      int topK,
      int minNew,
      double penalty,
      int vocab,
      double scale,
      double quantum) {
    SamplingConfig cfg = new SamplingConfig(temperature, topP, topK, STEPS, minNew, penalty, 0);
    int[] eos = {vocab - 1, 2};
    Random rnd = new Random(vocab * 7L + topK);
    List<SampleRow> javaRows = rows(rnd, vocab);
    List<SampleRow> engineRows = rows(new Random(vocab * 7L + topK), vocab);
    TokenSampler java = new TokenSampler(cfg, eos, vocab);
    int draws = 0;
    int differ = 0;
    double worstLogp = 0;
    try (NDManager m = NDManager.newBaseManager();
        EngineSampler engine = new EngineSampler(cfg, eos, vocab, m, engineRows)) {
      for (int step = 0; step < STEPS; step++) {
        float[] logits = logits(rnd, vocab, scale, quantum);
        double[] u = new double[ROWS];
        for (int i = 0; i < ROWS; i++) {
          u[i] = engineRows.get(i).rng.nextDouble();
        }
        EngineSampler.Draws d;
        try (NDManager s = m.newSubManager()) {
          NDArray l = s.create(logits, new Shape(ROWS, vocab));
          d = engine.draw(l, u, step);
        }
        long[] rowIds = new long[ROWS];
        for (int i = 0; i < ROWS; i++) {
          SampleRow jr = javaRows.get(i);
          TokenSampler.Draw want = java.draw(logits, i * vocab, jr.seen, jr.count(), jr.rng);
          draws++;
          if (want.token() != d.tokens()[i]) {
            differ++;
          } else {
            worstLogp = Math.max(worstLogp, Math.abs(want.logp() - d.logps()[i]));
          }
          // both sides go on with the Java token, so one difference does not cascade
          jr.accept(want.token(), want.logp(), false);
          engineRows.get(i).accept(want.token(), want.logp(), false);
          rowIds[i] = i;
          d.tokens()[i] = want.token();
        }
        engine.markSeen(rowIds, d.tokens());
      }
    }
    System.out.printf(
        "engine vs Java sampler %s V=%d: %d of %d draws differ, max |Δ logp| = %.1e%n",
        cfg, vocab, differ, draws, worstLogp);
    assertEquals(0, differ, differ + " of " + draws + " draws differ");
    assertTrue(worstLogp <= 1e-9, "max |Δ logp| = " + worstLogp);
  }

  /** Rows with prompts of 1–20 random tokens, each with its own stream. */
  private static List<SampleRow> rows(Random rnd, int vocab) {
    List<SampleRow> out = new ArrayList<>();
    for (int i = 0; i < ROWS; i++) {
      int[] prompt = new int[1 + rnd.nextInt(20)];
      for (int j = 0; j < prompt.length; j++) {
        prompt[j] = rnd.nextInt(vocab);
      }
      out.add(new SampleRow(i, 0, prompt, SampleStream.of(5, "row" + i, 0), 1 << 20));
    }
    return out;
  }

  private static float[] logits(Random rnd, int vocab, double scale, double quantum) {
    float[] x = new float[ROWS * vocab];
    for (int i = 0; i < x.length; i++) {
      double v = rnd.nextGaussian() * scale;
      x[i] = (float) (quantum > 0 ? Math.rint(v / quantum) * quantum : v);
    }
    return x;
  }
}
