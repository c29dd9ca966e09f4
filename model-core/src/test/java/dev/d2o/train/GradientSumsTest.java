package dev.d2o.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Rounded results kept as parts (the driver's sum without a double copy) give the same gradient,
 * bit for bit, as adding them into a double sum one by one; and sums survive Java serialization
 * (their arrays travel as raw bytes) unchanged.
 */
class GradientSumsTest {
  private static final float[] ONE = {0f};

  /** One chunk of one example whose gradient is {@code g} (two parameters, of 3 and 1001). */
  private static GradientSums chunk(float[][] g) {
    GradientSums s = GradientSums.zero();
    s.addChunk(7, g, new float[] {0.5f}, ONE, ONE, ONE, ONE, ONE, 10);
    return s;
  }

  private static float[][] random(Random r) {
    float[][] g = {new float[3], new float[1001]};
    for (float[] a : g) {
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(9) - 4));
      }
    }
    return g;
  }

  /** The old way: each rounded result added into a double sum at once, in order, then ÷ count. */
  private static float[][] foldedByHand(float[][]... results) {
    float[][] out = new float[results[0].length][];
    for (int p = 0; p < out.length; p++) {
      out[p] = new float[results[0][p].length];
      for (int i = 0; i < out[p].length; i++) {
        double a = 0;
        for (float[][] r : results) {
          a += (float) (double) r[p][i];
        }
        out[p][i] = (float) (a / results.length);
      }
    }
    return out;
  }

  @Test
  void roundedPartsAddUpAsADoubleSumWouldInMergeOrder() {
    Random r = new Random(3);
    float[][] a = random(r);
    float[][] b = random(r);
    float[][] c = random(r);
    GradientSums sums = GradientSums.zero();
    for (float[][] g : new float[][][] {a, b, c}) {
      sums.merge(chunk(g).forTransport());
    }
    float[][] want = foldedByHand(a, b, c);
    float[][] got = sums.gradient();
    for (int p = 0; p < want.length; p++) {
      assertArrayEquals(want[p], got[p], 0f, "parameter " + p);
    }
    assertEquals(4L * 3 * 1004, sums.gradientBytes(), "three rounded parts of 1004 floats");
    double[][] folded = sums.gradientSum(); // folding them gives the same sums
    assertEquals((double) a[1][5] + b[1][5] + c[1][5], folded[1][5], 0.0);
  }

  @Test
  void aDoubleSumMergedAfterRoundedPartsIsAddedAfterThem() {
    Random r = new Random(4);
    float[][] a = random(r);
    float[][] b = random(r);
    GradientSums rounded = GradientSums.zero().merge(chunk(a).forTransport());
    GradientSums sums = rounded.merge(chunk(b)); // b stays in double
    double[][] s = sums.gradientSum();
    assertEquals((double) a[1][7] + b[1][7], s[1][7], 0.0);
    assertEquals(2, sums.count());
  }

  @Test
  void serializationKeepsEveryValueAndScalar() throws Exception {
    Random r = new Random(5);
    GradientSums sums = GradientSums.zero().merge(chunk(random(r)).forTransport());
    sums.merge(chunk(random(r)).forTransport());
    sums.addComputeSeconds(1.5);
    GradientSums back = roundTrip(sums);
    assertEquals(sums.count(), back.count());
    assertEquals(sums.tokens(), back.tokens());
    assertEquals(sums.weightsVersion(), back.weightsVersion());
    assertEquals(sums.computeSeconds(), back.computeSeconds(), 0.0);
    assertEquals(sums.metrics(), back.metrics());
    assertEquals(sums.gradientBytes(), back.gradientBytes());
    float[][] want = sums.gradient();
    float[][] got = back.gradient();
    for (int p = 0; p < want.length; p++) {
      assertArrayEquals(want[p], got[p], 0f);
    }
    GradientSums inDouble = chunk(random(r)); // a double sum travels too
    assertArrayEquals(inDouble.gradientSum()[1], roundTrip(inDouble).gradientSum()[1], 0.0);
  }

  @Test
  void rawArraysRoundTripIncludingNullEmptyAndLongerThanTheBuffer() throws IOException {
    float[][] floats = {new float[0], new float[(1 << 18) + 3], {Float.NaN, -0f, 1e-45f}};
    floats[1][(1 << 18) + 2] = 42f;
    double[][] doubles = {new double[(1 << 17) + 1], {Double.MIN_VALUE}};
    doubles[0][1 << 17] = -3.25;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      RawArrays.writeFloats(out, floats);
      RawArrays.writeFloats(out, null);
      RawArrays.writeDoubles(out, doubles);
    }
    assertEquals(
        4 + 3 * 4 + 4 * (floats[1].length + 3) + 4 + 4 + 2 * 4 + 8 * (doubles[0].length + 1),
        bytes.size());
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      float[][] f = RawArrays.readFloats(in);
      assertEquals(3, f.length);
      for (int i = 0; i < 3; i++) {
        assertArrayEquals(floats[i], f[i], 0f); // NaN and -0 compare by bits
      }
      assertNull(RawArrays.readFloats(in));
      double[][] d = RawArrays.readDoubles(in);
      assertArrayEquals(doubles[0], d[0], 0.0);
      assertArrayEquals(doubles[1], d[1], 0.0);
    }
  }

  private static GradientSums roundTrip(GradientSums sums) throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(sums);
    }
    try (ObjectInputStream in =
        new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      return (GradientSums) in.readObject();
    }
  }
}
