package org.vacuum.batch.submit;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Linux process groups read from {@code /proc}: which live processes belong to a group, and a
 * process's start time (to tell a pid from a later process reusing it). Zombies count as gone:
 * they hold no resources and only their parent can reap them.
 */
final class ProcessGroups {

  private static final Path PROC = Path.of("/proc");

  private ProcessGroups() {}

  /** The pids of the live (non-zombie) processes whose process group is {@code pgid}. */
  static List<Long> members(long pgid) {
    List<Long> pids = new ArrayList<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path dir : dirs) {
        Optional<String[]> stat = stat(dir.resolve("stat"));
        if (stat.isPresent() && !stat.get()[0].equals("Z")
            && Long.parseLong(stat.get()[2]) == pgid) {
          pids.add(Long.parseLong(dir.getFileName().toString()));
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot list " + PROC + ": " + e.getMessage(), e);
    }
    return pids;
  }

  /** The start time of {@code pid} in clock ticks since boot, if it exists and is not a zombie. */
  static Optional<Long> startTime(long pid) {
    return stat(PROC.resolve(Long.toString(pid)).resolve("stat"))
        .filter(f -> !f[0].equals("Z"))
        .map(f -> Long.parseLong(f[19]));
  }

  /**
   * The fields of a stat file after the command name, so index 0 is the state, 1 the parent,
   * 2 the process group, 19 the start time; empty if the process has gone.
   */
  private static Optional<String[]> stat(Path file) {
    try {
      String line = Files.readString(file);
      // The command name is in parentheses and may itself hold spaces and parentheses.
      return Optional.of(line.substring(line.lastIndexOf(')') + 2).trim().split(" "));
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
