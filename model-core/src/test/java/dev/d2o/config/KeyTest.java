package dev.d2o.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Typed keys: parsing, validation, their messages, and the registry of declarations. */
class KeyTest {
  private static String parseError(Key<?> key, Object raw) {
    return assertThrows(IllegalArgumentException.class, () -> key.parse(raw)).getMessage();
  }

  @Test
  void parsesNumbersAndStringsToTheKeyType() {
    assertEquals(3, Key.integer("n", 1, 1, "doc").parse("3"));
    assertEquals(3, Key.integer("n", 1, 1, "doc").parse(3L));
    assertEquals(7L, Key.anyLong("seed", 0, "doc").parse(7));
    assertEquals(0.5, Key.positive("x", 1, "doc").parse("5e-1"));
    assertEquals("2", Key.text("s", "", "doc").parse(2));
    assertEquals(true, Key.flag("f", false, "doc").parse("true"));
  }

  @Test
  void errorsNameTheKeyTheValueAndWhatIsAllowed() {
    assertEquals(
        "n must be an integer ≥ 1, got '2.5'", parseError(Key.integer("n", 1, 1, "d"), 2.5));
    assertEquals("n must be an integer ≥ 1, got 0", parseError(Key.integer("n", 1, 1, "d"), 0));
    assertEquals("x must be a number > 0, got 'abc'", parseError(Key.positive("x", 1, "d"), "abc"));
    assertEquals(
        "x must be a number > 0, got Infinity",
        parseError(Key.positive("x", 1, "d"), Double.POSITIVE_INFINITY));
    assertEquals(
        "p must be a number in (0.0, 1.0], got 0",
        parseError(Key.range("p", 1, 0, true, 1, false, "d"), 0));
    assertEquals(
        "s must be one of [a, b], got c",
        parseError(Key.oneOf("s", "a", List.of("a", "b"), "d"), "c"));
    assertEquals("f must be true or false, got 'yes'", parseError(Key.flag("f", true, "d"), "yes"));
  }

  @Test
  void prefixAndResumeRelevanceKeepEverythingElse() {
    Key<Integer> k = Key.integer("batchSize", 8, 1, "examples per step");
    assertFalse(k.resumeRelevant());
    Key<Integer> job = k.mustMatchOnResume().under("train.");
    assertEquals("train.batchSize", job.name());
    assertTrue(job.resumeRelevant());
    assertEquals(k.defaultValue(), job.defaultValue());
    assertEquals(k.allowed(), job.allowed());
    assertEquals(k.doc(), job.doc());
    assertTrue(job.valid().test(8) && !job.valid().test(0));
  }

  @Test
  void registryKeepsDeclarationOrderRefusesDuplicatesAndSuggests() {
    KeyRegistry r = new KeyRegistry();
    r.add(Key.integer("run.seed", 0, 0, "d"));
    r.add(Key.text("run.dir", "x", "d"));
    assertEquals(List.of("run.seed", "run.dir"), r.all().stream().map(Key::name).toList());
    assertEquals(
        "configuration key declared twice: run.dir",
        assertThrows(IllegalStateException.class, () -> r.add(Key.text("run.dir", "y", "d")))
            .getMessage());
    assertEquals("run.dir", r.nearest("Run.Dri"));
    assertTrue(r.find("run.seed").isPresent());
    assertFalse(r.find("run.sed").isPresent());
  }

  @Test
  void editDistance() {
    assertEquals(0, Spelling.editDistance("beta", "beta"));
    assertEquals(1, Spelling.editDistance("bta", "beta"));
    assertEquals(3, Spelling.editDistance("kitten", "sitting"));
    assertEquals(
        "warmupSteps", Spelling.nearest("warmupStep", List.of("maxSteps", "warmupSteps"), false));
  }
}
