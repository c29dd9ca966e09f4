package dev.d2o.spark.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The plot writer: valid PNGs of the requested size from a metrics file, ticks at nice numbers,
 * clear errors.
 */
class LinePlotTest {
  static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

  @TempDir Path tmp;

  static String metrics() {
    StringBuilder sb = new StringBuilder();
    for (int step = 1; step <= 20; step++) {
      double loss = Math.log(2) * Math.exp(-step / 10.0);
      sb.append("{\"step\": ")
          .append(step)
          .append(", \"loss\": ")
          .append(loss)
          .append(", \"rewards/margins\": ")
          .append(0.05 * step)
          .append(", \"rewards/anchors\": ")
          .append(0.02 * step)
          .append(", \"rewards/negative\": ")
          .append(-0.03 * step)
          .append(", \"logps/negative\": ")
          .append(-40 - step)
          .append(step % 5 == 0 ? ", \"eval/harmful_rate\": " + (0.5 - step / 50.0) : "")
          .append("}\n");
    }
    return sb.toString();
  }

  @Test
  void metricsFileGivesPngsOfTheRequestedSize() throws IOException {
    Path file = tmp.resolve("metrics.jsonl");
    Files.writeString(file, metrics());
    Map<String, TrainingPlots.Curve> m =
        TrainingPlots.parse(Files.readString(file), file.toString());
    assertEquals(4, m.get("eval/harmful_rate").steps().length, "logged every 5 steps only");
    Map<String, byte[]> plots = TrainingPlots.render(m, 640, 360);
    assertEquals(
        List.of("loss.png", "margins.png", "logps.png", "harmful_rate.png"),
        List.copyOf(plots.keySet()));
    for (Map.Entry<String, byte[]> e : plots.entrySet()) {
      Files.write(tmp.resolve(e.getKey()), e.getValue());
      assertArrayEquals(PNG_SIGNATURE, Arrays.copyOf(e.getValue(), 8), e.getKey());
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(e.getValue()));
      assertEquals(640, img.getWidth(), e.getKey());
      assertEquals(360, img.getHeight(), e.getKey());
      assertTrue(colouredPixels(img) > 200, e.getKey() + ": the lines are drawn in colour");
    }
  }

  @Test
  void plotsOnlyTheMetricsPresent() {
    Map<String, TrainingPlots.Curve> m =
        TrainingPlots.parse("{\"step\":1,\"loss\":0.7}\n\n{\"step\":2,\"loss\":0.6}", "m.jsonl");
    assertEquals(List.of("loss.png"), List.copyOf(TrainingPlots.render(m, 400, 300).keySet()));
  }

  @Test
  void badMetricsLinesAreNamed() {
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                TrainingPlots.parse(
                    "{\"step\":1,\"loss\":0.7}\n{\"loss\":0.6}\n", "run/metrics.jsonl"));
    assertEquals("run/metrics.jsonl line 2: no numeric 'step' field", e.getMessage());
    e =
        assertThrows(
            IllegalArgumentException.class, () -> new LinePlot("t", "x", "y").png(100, 100));
    assertEquals("a plot needs at least 154 × 150 pixels, got 100 × 100", e.getMessage());
  }

  @Test
  void ticksAtNiceNumbers() {
    assertEquals(
        List.of(0.0, 0.2, 0.4, 0.6, 0.8, 1.0),
        Ticks.of(0, 1, 6).stream().map(t -> Math.round(t * 1e9) / 1e9).toList());
    assertEquals(List.of(0.0, 5.0, 10.0, 15.0, 20.0), Ticks.of(-1, 21, 6)); // step 22/6 = 3.7 -> 5
    assertEquals("0.4", Ticks.format(0.4, 1)); // step 0.2: one decimal
    assertEquals("15", Ticks.format(15, 22)); // step 5: none
    assertEquals(
        List.of(-0.1, 0.0, 0.1), Ticks.of(-0.1, 0.1, 2), "zero is 0.0, never -0.0 or 1e-17");
  }

  private static int colouredPixels(BufferedImage img) {
    int n = 0;
    for (int y = 0; y < img.getHeight(); y++) {
      for (int x = 0; x < img.getWidth(); x++) {
        int rgb = img.getRGB(x, y);
        int r = (rgb >> 16) & 0xff;
        int g = (rgb >> 8) & 0xff;
        int b = rgb & 0xff;
        if (Math.max(r, Math.max(g, b)) - Math.min(r, Math.min(g, b)) > 60) {
          n++;
        }
      }
    }
    return n;
  }
}
