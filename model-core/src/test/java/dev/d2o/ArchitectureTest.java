package dev.d2o;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAnyPackage;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.lang.ArchRule;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module boundaries of model-core, asserted on its compiled main classes (ArchUnit): it never
 * imports Spark, Hadoop or Scala; its packages form no cycle; the error and configuration packages
 * sit at the bottom.
 */
class ArchitectureTest {
  private static JavaClasses main;

  @BeforeAll
  static void importMainClasses() {
    main = new ClassFileImporter().importPath(Path.of("target/classes"));
  }

  @Test
  void neverImportsSparkHadoopOrScala() {
    ArchRule rule =
        noClasses()
            .should()
            .dependOnClassesThat()
            .resideInAnyPackage("org.apache.spark..", "org.apache.hadoop..", "scala..")
            .because("model-core is the model and the math: DJL only, usable without Spark");
    rule.check(main);
  }

  @Test
  void packagesFormNoCycle() {
    slices().matching("dev.d2o.(**)").should().beFreeOfCycles().check(main);
  }

  @Test
  void errorsAndConfigurationSitAtTheBottom() {
    noClasses()
        .that()
        .resideInAPackage("dev.d2o.error")
        .should()
        .dependOnClassesThat(projectClassesOutside("dev.d2o.error"))
        .check(main);
    noClasses()
        .that()
        .resideInAPackage("dev.d2o.config")
        .should()
        .dependOnClassesThat(projectClassesOutside("dev.d2o.config", "dev.d2o.error"))
        .check(main);
  }

  /** Classes of the project ({@code dev.d2o..}) outside {@code packages}. */
  static DescribedPredicate<JavaClass> projectClassesOutside(String... packages) {
    return resideInAPackage("dev.d2o..").and(not(resideInAnyPackage(packages)));
  }
}
