package dev.d2o.archfixture.b;

import dev.d2o.archfixture.a.Upstream;

/** The other half of the deliberate package cycle of ArchitectureTest. */
public final class Downstream {
  private Downstream() {}

  /**
   * What the other package reads: a method, since a compile-time constant would be inlined and
   * leave no dependency in the bytecode that ArchUnit reads.
   */
  public static int size() {
    return 1;
  }

  /** Calls back into the package that imports this one. */
  public static int twice() {
    return 2 * Upstream.size();
  }
}
