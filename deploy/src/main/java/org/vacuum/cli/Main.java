package org.vacuum.cli;

import picocli.CommandLine;

/** Entry point of {@code bin/vacuum}. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    System.exit(VacuumCommand.commandLine().execute(args));
  }
}
