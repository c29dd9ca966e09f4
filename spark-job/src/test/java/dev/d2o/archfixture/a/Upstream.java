package dev.d2o.archfixture.a;

import dev.d2o.archfixture.b.Downstream;
import dev.d2o.archfixture.cli.Command;

/** A deliberate violation for ArchitectureTest: a package cycle and an import of a cli package. */
public final class Upstream {
  private Upstream() {}

  /** Uses the other package, which uses this one back. */
  public static int size() {
    return Downstream.size() + Command.name().length();
  }
}
