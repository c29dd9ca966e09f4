package dev.d2o.archfixture.cli;

/** Stands for the command line in ArchitectureTest's deliberate violation. */
public final class Command {
  private Command() {}

  /** What another package reads (which the rule forbids). */
  public static String name() {
    return "fixture";
  }
}
