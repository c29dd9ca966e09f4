package dev.d2o.testing;

import java.io.ByteArrayOutputStream;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Seeded random byte mutations of a valid file (flip a bit, overwrite, insert or delete a byte,
 * truncate), and a harness that runs a loader on each mutant with a per-case timeout and tallies
 * how each case ended. A case passes when it loads or fails with one of the project's own
 * exceptions and a non-empty message; anything else (another exception type, an {@link Error} such
 * as {@link OutOfMemoryError}, a hang) is a defect.
 */
public final class Mutator {
  /** Bytes that matter to JSON and to UTF-8, tried more often than chance would. */
  private static final byte[] INTERESTING = {
    '"',
    '{',
    '}',
    '[',
    ']',
    ',',
    ':',
    '-',
    '.',
    'e',
    '0',
    '9',
    ' ',
    '\n',
    '\\',
    'n',
    (byte) 0x80,
    (byte) 0xC3,
    (byte) 0xFF,
    0
  };

  /** A mutated copy of the input and what was done to it. */
  public record Mutant(String kind, byte[] bytes) {}

  /** What a loader does with one mutant; throws when the input is bad. */
  @FunctionalInterface
  public interface Loader {
    void load(byte[] bytes) throws Exception;
  }

  private final Random rnd;

  public Mutator(long seed) {
    this.rnd = new Random(seed);
  }

  /**
   * One to three mutations of {@code original}; with probability 3/4 each lands in {@code [0,
   * focusEnd)} (a header, where a mutation is more likely to matter than in tensor data).
   */
  public Mutant mutate(byte[] original, int focusEnd) {
    byte[] b = original.clone();
    int ops = 1 + rnd.nextInt(3);
    StringBuilder kinds = new StringBuilder();
    for (int i = 0; i < ops && b.length > 0; i++) {
      int range = rnd.nextInt(4) < 3 ? Math.min(focusEnd, b.length) : b.length;
      int pos = rnd.nextInt(Math.max(1, range));
      String kind =
          switch (rnd.nextInt(10)) {
            case 0, 1, 2 -> "flip";
            case 3, 4 -> "set";
            case 5, 6 -> "insert";
            case 7, 8 -> "delete";
            default -> "truncate";
          };
      b = apply(kind, b, pos);
      kinds.append(kinds.length() == 0 ? "" : "+").append(kind);
    }
    return new Mutant(kinds.toString(), b);
  }

  private byte[] apply(String kind, byte[] b, int pos) {
    switch (kind) {
      case "flip" -> b[pos] ^= (byte) (1 << rnd.nextInt(8));
      case "set" -> b[pos] = randomByte();
      case "insert" -> {
        ByteArrayOutputStream out = new ByteArrayOutputStream(b.length + 1);
        out.write(b, 0, pos);
        out.write(randomByte());
        out.write(b, pos, b.length - pos);
        return out.toByteArray();
      }
      case "delete" -> {
        byte[] out = new byte[b.length - 1];
        System.arraycopy(b, 0, out, 0, pos);
        System.arraycopy(b, pos + 1, out, pos, b.length - pos - 1);
        return out;
      }
      default -> {
        return java.util.Arrays.copyOf(b, pos);
      }
    }
    return b;
  }

  private byte randomByte() {
    return rnd.nextBoolean()
        ? INTERESTING[rnd.nextInt(INTERESTING.length)]
        : (byte) rnd.nextInt(256);
  }

  /** Counts of outcomes, and the first few defects with the case that exposed them. */
  public static final class Tally {
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private final StringBuilder defects = new StringBuilder();
    private int defectCount;
    private int cases;

    void count(String outcome) {
      outcomes.merge(outcome, 1, Integer::sum);
    }

    void defect(int index, Mutant m, String what) {
      defectCount++;
      if (defectCount <= 10) {
        defects
            .append("\n  case ")
            .append(index)
            .append(" (")
            .append(m.kind())
            .append("): ")
            .append(what);
      }
    }

    /** Cases run. */
    public int cases() {
      return cases;
    }

    /** Cases that were not a load or a project exception with a message. */
    public int defects() {
      return defectCount;
    }

    /** The first defects, one per line (empty when none). */
    public String defectReport() {
      return defects.toString();
    }

    /** Outcome → count, e.g. {@code loaded=120, ModelException=880}. */
    public Map<String, Integer> outcomes() {
      return outcomes;
    }
  }

  /**
   * Runs {@code cases} mutants of {@code original} through {@code loader}, each with {@code
   * timeoutSeconds}; {@code allowed} are the project's exception types.
   */
  public Tally run(
      String name,
      byte[] original,
      int focusEnd,
      int cases,
      long timeoutSeconds,
      Loader loader,
      Class<?>... allowed)
      throws InterruptedException {
    Tally t = new Tally();
    ExecutorService pool =
        Executors.newSingleThreadExecutor(
            r -> {
              Thread th = new Thread(r, "mutation-" + name);
              th.setDaemon(true);
              return th;
            });
    long start = System.nanoTime();
    try {
      for (int i = 0; i < cases; i++) {
        Mutant m = mutate(original, focusEnd);
        t.cases++;
        Future<Throwable> f =
            pool.submit(
                () -> {
                  try {
                    loader.load(m.bytes());
                    return null;
                  } catch (Throwable e) {
                    // an Error too: an OutOfMemoryError must be counted, not kill the run
                    return e;
                  }
                });
        Throwable e;
        try {
          e = f.get(timeoutSeconds, TimeUnit.SECONDS);
        } catch (TimeoutException te) {
          f.cancel(true);
          t.count("hang");
          t.defect(i, m, "no result within " + timeoutSeconds + " s");
          pool.shutdownNow();
          pool = Executors.newSingleThreadExecutor();
          continue;
        } catch (java.util.concurrent.ExecutionException ee) {
          e = ee.getCause();
        }
        if (e == null) {
          t.count("loaded");
        } else if (isAllowed(e, allowed) && e.getMessage() != null && !e.getMessage().isBlank()) {
          t.count(e.getClass().getSimpleName());
        } else {
          t.count("DEFECT " + e.getClass().getSimpleName());
          java.io.StringWriter sw = new java.io.StringWriter();
          e.printStackTrace(new java.io.PrintWriter(sw));
          t.defect(
              i, m, sw.toString().lines().limit(6).reduce((a, b) -> a + "\n    " + b).orElse(""));
        }
      }
    } finally {
      pool.shutdownNow();
    }
    System.out.printf(
        "mutation test %s: %d cases in %.1f s: %s%n",
        name, t.cases(), (System.nanoTime() - start) / 1e9, t.outcomes());
    return t;
  }

  private static boolean isAllowed(Throwable e, Class<?>[] allowed) {
    for (Class<?> c : allowed) {
      if (c.isInstance(e)) {
        return true;
      }
    }
    return false;
  }
}
