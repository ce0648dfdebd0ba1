package org.vacuum.node;

/**
 * A node could not start. The message is one line an operator can act on: what failed, where,
 * and which setting changes it. The CLI prints it and exits non-zero.
 */
public final class StartupException extends Exception {
  public StartupException(String message) {
    super(message);
  }

  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }
}
