package org.vacuum.it.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Appends a benchmark's result to {@code BENCHMARKS.md} at the repository root (the path comes from
 * the {@code bench} profile's {@code vacuum.benchmarks} property), with the date, the machine and
 * the commit, so results from different runs can be compared.
 */
final class BenchmarkReport {

  private BenchmarkReport() {}

  static void append(String title, List<String> lines) throws IOException {
    Path file = Path.of(System.getProperty("vacuum.benchmarks", "BENCHMARKS.md"));
    StringBuilder s = new StringBuilder();
    s.append("\n### ").append(title).append("\n\n");
    s.append("- date: ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\n');
    s.append("- machine: ").append(machine()).append('\n');
    s.append("- commit: ").append(commit(file.toAbsolutePath().getParent())).append('\n');
    s.append("- load average when written: ").append(loadAverage()).append('\n');
    for (String line : lines) {
      s.append(line).append('\n');
    }
    Files.writeString(file, s.toString(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    System.out.print(s);
  }

  private static String machine() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "unknown host";
    }
    String cpu = "";
    try {
      cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("");
    } catch (IOException e) {
      // not Linux: the processor count is enough
    }
    return host + ", " + Runtime.getRuntime().availableProcessors() + " processors" + (cpu.isEmpty() ? "" : " (" + cpu + ")")
        + ", Java " + Runtime.version();
  }

  private static String commit(Path repo) {
    try {
      Process git = new ProcessBuilder("git", "-C", repo.toString(), "rev-parse", "--short", "HEAD")
          .redirectErrorStream(true).start();
      String out = new String(git.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      return git.waitFor() == 0 ? out : "unknown";
    } catch (IOException e) {
      return "unknown";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /** The 1/5/15-minute load averages: a benchmark run on a busy machine says so. */
  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | ArrayIndexOutOfBoundsException e) {
      return "unknown";
    }
  }
}
