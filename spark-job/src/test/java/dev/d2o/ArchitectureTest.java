package dev.d2o;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The package rules of spark-job, asserted on its compiled main classes (ArchUnit): no package
 * cycles, and only the command line ({@code dev.d2o.cli}) imports the command line. The same rules
 * are run against a deliberate violation ({@code dev.d2o.archfixture} in the test sources) to show
 * that they can fail.
 */
class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().importPath(Path.of("target/classes"));
  }

  /** No cycle among the packages under {@code root}. */
  static ArchRule noPackageCycles(String root) {
    return slices().matching(root + ".(**)").should().beFreeOfCycles();
  }

  /** Nothing outside {@code cli} depends on it: the command line sits on top. */
  static ArchRule onlyTheCommandLineUses(String cli) {
    return noClasses()
        .that()
        .resideOutsideOfPackage(cli + "..")
        .should()
        .dependOnClassesThat()
        .resideInAPackage(cli + "..")
        .because("errors, the console and constants live below the command line");
  }

  @Test
  void packagesFormNoCycle() {
    assertTrue(main.containPackage("dev.d2o.spark.stages"), "imported the main classes");
    noPackageCycles("dev.d2o").check(main);
  }

  @Test
  void nothingOutsideTheCommandLineImportsIt() {
    onlyTheCommandLineUses("dev.d2o.cli").check(main);
  }

  /** The sources of {@code src} that are longer than {@code maxLines}. */
  static List<String> longerThan(Path src, int maxLines) throws IOException {
    try (Stream<Path> files = Files.walk(src)) {
      return files
          .filter(f -> f.toString().endsWith(".java"))
          .filter(f -> lines(f) > maxLines)
          .map(f -> src.relativize(f) + " (" + lines(f) + " lines)")
          .sorted()
          .toList();
    }
  }

  private static long lines(Path f) {
    try (Stream<String> l = Files.lines(f)) {
      return l.count();
    } catch (IOException e) {
      throw new IllegalStateException(f.toString(), e);
    }
  }

  /** STYLE: files of about 100-300 lines, none in src/main over 350 (both modules). */
  @Test
  void noMainSourceFileIsLongerThan350Lines() throws IOException {
    for (Path src : List.of(Path.of("src/main/java"), Path.of("../model-core/src/main/java"))) {
      assertTrue(Files.isDirectory(src), src.toAbsolutePath().toString());
      assertEquals(List.of(), longerThan(src, 350), "too long in " + src);
    }
    // the check can fail: Keys is longer than 50 lines
    assertTrue(
        longerThan(Path.of("src/main/java/dev/d2o/spark/config"), 50).stream()
            .anyMatch(f -> f.startsWith("Keys.java")));
  }

  @Test
  void theRulesFailOnADeliberateViolation() {
    JavaClasses fixture = new ClassFileImporter().importPackages("dev.d2o.archfixture");
    AssertionError cycle =
        assertThrows(
            AssertionError.class, () -> noPackageCycles("dev.d2o.archfixture").check(fixture));
    assertTrue(cycle.getMessage().contains("Cycle detected"), cycle.getMessage());
    AssertionError cli =
        assertThrows(
            AssertionError.class,
            () -> onlyTheCommandLineUses("dev.d2o.archfixture.cli").check(fixture));
    assertTrue(cli.getMessage().contains("Upstream"), cli.getMessage());
  }
}
