package dev.d2o;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
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
