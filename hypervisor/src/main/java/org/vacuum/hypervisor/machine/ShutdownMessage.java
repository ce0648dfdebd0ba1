package org.vacuum.hypervisor.machine;

import java.time.Instant;
import java.util.Objects;

/**
 * The first line of a machine's {@code joboutputs/shutdown_message} (reference/vac.md §2.3, §2.4),
 * e.g. {@code 300 Nothing to do}: by HSF-TN-2016-04 a 3-digit code and free text.
 *
 * @param code the number formed by the line's first three characters when they are digits, else 0
 * @param text the whole first line, without surrounding white space
 * @param at the file's modification time
 */
public record ShutdownMessage(int code, String text, Instant at) {

  public ShutdownMessage {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(at, "at");
  }

  /** Reads a message from its first line; the code is 0 if the line does not start with 3 digits. */
  public static ShutdownMessage parse(String firstLine, Instant at) {
    String text = firstLine.strip();
    int code = 0;
    if (text.length() >= 3
        && isDigit(text.charAt(0))
        && isDigit(text.charAt(1))
        && isDigit(text.charAt(2))) {
      code = Integer.parseInt(text.substring(0, 3));
    }
    return new ShutdownMessage(code, text, at);
  }

  /** True if the code says the machine found no work or could not run (300 and above), which starts a backoff. */
  public boolean isAbort() {
    return code >= 300;
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
