package org.vacuum.cli;

/** The exit codes of every {@code vacuum} command; {@code --help} of each command lists the ones it uses. */
final class ExitCodes {
  /** Done; for {@code node status}, the node is ready. */
  static final int OK = 0;
  /** The command ran but failed: a node did not start, the node answered an error, or is not ready. */
  static final int FAILED = 1;
  /** Bad usage: unknown option, missing argument (picocli's own code). */
  static final int USAGE = 2;
  /** The admin URL could not be reached. */
  static final int UNREACHABLE = 3;

  private ExitCodes() {}
}
