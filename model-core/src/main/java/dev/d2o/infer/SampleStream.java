package dev.d2o.infer;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The random stream of one sample: a {@link SplittableRandom} seeded from a 64-bit hash of (run
 * seed, example id, sample index). Nothing else enters the seed, so a sample does not depend on its
 * batch, its partition, the thread count or a task retry. The hash is part of the output format:
 * changing it changes every sample ever drawn, and {@code SampleStreamTest} pins it.
 */
public final class SampleStream {
  private static final long FNV_OFFSET = 0xcbf29ce484222325L;
  private static final long FNV_PRIME = 0x100000001b3L;
  private static final long GOLDEN_GAMMA = 0x9e3779b97f4a7c15L;

  private SampleStream() {}

  /** The stream of sample {@code index} of example {@code id} under run seed {@code seed}. */
  public static SplittableRandom of(long seed, String id, int index) {
    return new SplittableRandom(seedOf(seed, id, index));
  }

  /**
   * The 64-bit seed: fmix64 over the seed, the FNV-1a hash of the id's UTF-8 bytes, and the index.
   */
  public static long seedOf(long seed, String id, int index) {
    long h = FNV_OFFSET;
    for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
      h = (h ^ (b & 0xff)) * FNV_PRIME;
    }
    long x = fmix64(seed * GOLDEN_GAMMA + h);
    return fmix64(x + (index + 1L) * GOLDEN_GAMMA);
  }

  /** MurmurHash3's 64-bit finalizer (Appleby): every input bit affects every output bit. */
  static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }
}
