package org.vacuum.host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The host's load as Vac's creation gate reads it (reference/vac.md §2.5, {@code master}): the
 * largest of the 1, 5 and 15-minute load averages in {@code /proc/loadavg}. Negative when the file
 * cannot be read, which the gate takes as "unknown" and skips its load checks.
 */
public final class HostLoad {

  private static final Path LOADAVG = Path.of("/proc/loadavg");

  private HostLoad() {}

  public static double read() {
    return read(LOADAVG);
  }

  static double read(Path loadavg) {
    try {
      String[] fields = Files.readString(loadavg).trim().split("\\s+");
      if (fields.length < 3) {
        return -1;
      }
      return Math.max(Double.parseDouble(fields[0]), Math.max(Double.parseDouble(fields[1]),
          Double.parseDouble(fields[2])));
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
  }
}
