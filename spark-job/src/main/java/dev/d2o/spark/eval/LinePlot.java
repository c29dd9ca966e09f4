package dev.d2o.spark.eval;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * A line chart drawn with Java2D and written as PNG, with no plotting dependency: axes, "nice"
 * ticks (1, 2, 5 × 10ⁿ), grid, axis labels, a title and a legend. Non-finite y values break a line
 * rather than bend it.
 */
public final class LinePlot {
  /** One named line. */
  public record Series(String name, double[] x, double[] y) {}

  // matplotlib's tab10 colours: readable on white and distinguishable from each other
  private static final Color[] COLORS = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd),
    new Color(0x8c564b)
  };
  private static final int LEFT = 80;
  private static final int RIGHT = 24;
  private static final int TOP = 44;
  private static final int BOTTOM = 56;

  private final String title;
  private final String xLabel;
  private final String yLabel;
  private final List<Series> series = new ArrayList<>();

  public LinePlot(String title, String xLabel, String yLabel) {
    this.title = title;
    this.xLabel = xLabel;
    this.yLabel = yLabel;
  }

  /** Adds a line; {@code x} and {@code y} have the same length. */
  public LinePlot add(String name, double[] x, double[] y) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(
          "series " + name + ": " + x.length + " x values but " + y.length + " y");
    }
    series.add(new Series(name, x.clone(), y.clone()));
    return this;
  }

  /** The chart as a PNG file's bytes. */
  public byte[] png(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(render(width, height), "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The chart as an image of {@code width} × {@code height} pixels. */
  public BufferedImage render(int width, int height) {
    if (width < LEFT + RIGHT + 50 || height < TOP + BOTTOM + 50) {
      throw new IllegalArgumentException(
          "a plot needs at least "
              + (LEFT + RIGHT + 50)
              + " × "
              + (TOP + BOTTOM + 50)
              + " pixels, got "
              + width
              + " × "
              + height);
    }
    BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    try {
      g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
      g.setRenderingHint(
          RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
      g.setColor(Color.WHITE);
      g.fillRect(0, 0, width, height);
      g.setColor(Color.BLACK);
      g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
      centered(g, title, width / 2, 26);
      Frame f = Frame.of(series, LEFT, TOP, width - LEFT - RIGHT, height - TOP - BOTTOM);
      if (f == null) {
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        centered(g, "no data", width / 2, height / 2);
        return img;
      }
      drawAxes(g, f, width, height);
      drawSeries(g, f);
      drawLegend(g, f);
      return img;
    } finally {
      g.dispose();
    }
  }

  private void drawAxes(Graphics2D g, Frame f, int width, int height) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    for (double t : Ticks.of(f.xMin(), f.xMax(), 6)) {
      int px = f.px(t);
      g.setColor(new Color(0xE6E6E6));
      g.drawLine(px, f.top(), px, f.bottom());
      g.setColor(Color.BLACK);
      g.drawLine(px, f.bottom(), px, f.bottom() + 5);
      centered(g, Ticks.format(t, f.xMax() - f.xMin()), px, f.bottom() + 7 + fm.getAscent());
    }
    for (double t : Ticks.of(f.yMin(), f.yMax(), 6)) {
      int py = f.py(t);
      g.setColor(new Color(0xE6E6E6));
      g.drawLine(f.left(), py, f.right(), py);
      g.setColor(Color.BLACK);
      g.drawLine(f.left() - 5, py, f.left(), py);
      String s = Ticks.format(t, f.yMax() - f.yMin());
      g.drawString(s, f.left() - 8 - fm.stringWidth(s), py + fm.getAscent() / 2 - 1);
    }
    g.setColor(Color.BLACK);
    g.drawRect(f.left(), f.top(), f.right() - f.left(), f.bottom() - f.top());
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
    centered(g, xLabel, (f.left() + f.right()) / 2, height - 12);
    AffineTransform saved = g.getTransform();
    g.rotate(-Math.PI / 2);
    centered(g, yLabel, -(f.top() + f.bottom()) / 2, 18); // rotated: x is −y, y is x
    g.setTransform(saved);
  }

  private void drawSeries(Graphics2D g, Frame f) {
    g.setClip(f.left(), f.top(), f.right() - f.left() + 1, f.bottom() - f.top() + 1);
    for (int s = 0; s < series.size(); s++) {
      Series line = series.get(s);
      g.setColor(COLORS[s % COLORS.length]);
      g.setStroke(new BasicStroke(2f));
      Path2D.Double path = new Path2D.Double();
      boolean pen = false;
      for (int i = 0; i < line.x().length; i++) {
        double x = line.x()[i];
        double y = line.y()[i];
        if (!Double.isFinite(x) || !Double.isFinite(y)) {
          pen = false;
          continue;
        }
        if (pen) {
          path.lineTo(f.px(x), f.py(y));
        } else {
          path.moveTo(f.px(x), f.py(y));
          pen = true;
        }
        if (line.x().length <= 40) { // markers while points are few enough to tell apart
          g.fillOval(f.px(x) - 3, f.py(y) - 3, 7, 7);
        }
      }
      g.draw(path);
    }
    g.setClip(null);
  }

  private void drawLegend(Graphics2D g, Frame f) {
    g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
    FontMetrics fm = g.getFontMetrics();
    int w = series.stream().mapToInt(s -> fm.stringWidth(s.name())).max().orElse(0) + 40;
    int h = series.size() * 18 + 8;
    int x0 = f.right() - w - 8;
    int y0 = f.top() + 8;
    g.setColor(new Color(255, 255, 255, 230));
    g.fillRect(x0, y0, w, h);
    g.setColor(Color.GRAY);
    g.setStroke(new BasicStroke(1f));
    g.drawRect(x0, y0, w, h);
    for (int s = 0; s < series.size(); s++) {
      int y = y0 + 14 + 18 * s;
      g.setColor(COLORS[s % COLORS.length]);
      g.setStroke(new BasicStroke(3f));
      g.drawLine(x0 + 8, y - 4, x0 + 28, y - 4);
      g.setColor(Color.BLACK);
      g.drawString(series.get(s).name(), x0 + 34, y);
    }
  }

  private static void centered(Graphics2D g, String s, int x, int baseline) {
    g.drawString(s, x - g.getFontMetrics().stringWidth(s) / 2, baseline);
  }

  /** Data ranges and the pixel rectangle they map to. */
  private record Frame(
      double xMin,
      double xMax,
      double yMin,
      double yMax,
      int left,
      int top,
      int right,
      int bottom) {
    static Frame of(List<Series> series, int left, int top, int w, int h) {
      double[] r = {
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY,
        Double.POSITIVE_INFINITY,
        Double.NEGATIVE_INFINITY
      };
      for (Series s : series) {
        for (int i = 0; i < s.x().length; i++) {
          if (Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])) {
            r[0] = Math.min(r[0], s.x()[i]);
            r[1] = Math.max(r[1], s.x()[i]);
            r[2] = Math.min(r[2], s.y()[i]);
            r[3] = Math.max(r[3], s.y()[i]);
          }
        }
      }
      if (r[0] > r[1]) {
        return null;
      }
      double[] x = Ticks.padded(r[0], r[1], 0.02); // room for the end markers
      double[] y = Ticks.padded(r[2], r[3], 0.05);
      return new Frame(x[0], x[1], y[0], y[1], left, top, left + w, top + h);
    }

    int px(double x) {
      return (int) Math.round(left + (x - xMin) / (xMax - xMin) * (right - left));
    }

    int py(double y) {
      return (int) Math.round(bottom - (y - yMin) / (yMax - yMin) * (bottom - top));
    }
  }
}
