package org.vacuum.hypervisor;

import com.sun.jna.LastErrorException;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Structure;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * What a factory reports about its host in a {@code factory_status} (reference/vac.md §3.6):
 * load, memory and swap from {@code /proc}, free space and inodes from {@code statvfs(3)}, boot
 * time, kernel and OS release.
 *
 * <p>Reading is cheap (a few small {@code /proc} files and two system calls) and is done when a
 * status is asked for. A value the host cannot give (no {@code /proc}, no libc) reads as -1 or
 * "unknown" rather than failing the whole status.
 */
public record HostFacts(
    double loadAverage15,
    long memTotalKb,
    long memUsedKb,
    long swapUsedKb,
    long swapFreeKb,
    DiskSpace root,
    DiskSpace stateDir,
    long bootTime,
    String kernelVersion,
    String osIssue,
    int processors) {

  /** Free space of one file system, as an unprivileged process may use it. */
  public record DiskSpace(long availKb, long availInodes) {
    static final DiskSpace UNKNOWN = new DiskSpace(-1, -1);
  }

  /**
   * Reads the host now. Disk figures are for {@code /tmp} (Vac's "root" disk, despite the name) and
   * for the node's state directory.
   */
  public static HostFacts read(Path stateDir) {
    return read(Path.of("/proc"), Path.of("/etc"), Path.of("/tmp"), stateDir);
  }

  static HostFacts read(Path proc, Path etc, Path root, Path stateDir) {
    MemInfo mem = MemInfo.read(proc.resolve("meminfo"));
    return new HostFacts(
        loadAverage15(proc.resolve("loadavg")),
        mem.totalKb,
        mem.totalKb < 0 ? -1 : mem.totalKb - mem.availableKb,
        mem.swapTotalKb < 0 ? -1 : mem.swapTotalKb - mem.swapFreeKb,
        mem.swapFreeKb,
        diskSpace(root),
        diskSpace(stateDir),
        bootTime(proc.resolve("stat")),
        kernelVersion(proc),
        osIssue(etc, proc),
        Runtime.getRuntime().availableProcessors());
  }

  private static double loadAverage15(Path loadavg) {
    return firstLine(loadavg)
        .map(line -> line.trim().split("\\s+"))
        .filter(fields -> fields.length >= 3)
        .map(fields -> Double.parseDouble(fields[2]))
        .orElse(-1.0);
  }

  private static long bootTime(Path stat) {
    return lines(stat).stream()
        .filter(l -> l.startsWith("btime "))
        .map(l -> Long.parseLong(l.substring(6).trim()))
        .findFirst()
        .orElse(-1L);
  }

  private static String kernelVersion(Path proc) {
    return firstLine(proc.resolve("sys/kernel/osrelease")).map(String::trim)
        .orElse(System.getProperty("os.version"));
  }

  /** Vac reads /etc/redhat-release.vac, then /etc/redhat-release, then the kernel release; vacuum adds os-release's PRETTY_NAME. */
  private static String osIssue(Path etc, Path proc) {
    for (String name : List.of("redhat-release.vac", "redhat-release")) {
      Optional<String> line = firstLine(etc.resolve(name)).map(String::trim).filter(s -> !s.isEmpty());
      if (line.isPresent()) {
        return line.get();
      }
    }
    return lines(etc.resolve("os-release")).stream()
        .filter(l -> l.startsWith("PRETTY_NAME="))
        .map(l -> l.substring("PRETTY_NAME=".length()).replace("\"", "").trim())
        .findFirst()
        .orElseGet(() -> kernelVersion(proc));
  }

  private static DiskSpace diskSpace(Path path) {
    if (!Platform.STATVFS_AVAILABLE) {
      return DiskSpace.UNKNOWN;
    }
    try {
      Statvfs buf = new Statvfs();
      LibC.INSTANCE.statvfs(path.toString(), buf);
      long fragment = buf.f_frsize != 0 ? buf.f_frsize : buf.f_bsize;
      return new DiskSpace(buf.f_bavail * fragment / 1024, buf.f_favail);
    } catch (LastErrorException | UnsatisfiedLinkError e) {
      return DiskSpace.UNKNOWN;
    }
  }

  private static Optional<String> firstLine(Path file) {
    List<String> lines = lines(file);
    return lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(0));
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException | SecurityException e) {
      return List.of();
    }
  }

  private record MemInfo(long totalKb, long availableKb, long swapTotalKb, long swapFreeKb) {
    static MemInfo read(Path meminfo) {
      long total = -1, available = -1, free = -1, swapTotal = -1, swapFree = -1;
      for (String line : lines(meminfo)) {
        String[] f = line.split("[:\\s]+");
        if (f.length < 2) {
          continue;
        }
        long kb = Long.parseLong(f[1]);
        switch (f[0]) {
          case "MemTotal" -> total = kb;
          case "MemAvailable" -> available = kb;
          case "MemFree" -> free = kb;
          case "SwapTotal" -> swapTotal = kb;
          case "SwapFree" -> swapFree = kb;
          default -> { }
        }
      }
      return new MemInfo(total, available >= 0 ? available : free, swapTotal, swapFree);
    }
  }

  /** glibc's statvfs, 64-bit Linux layout. */
  @Structure.FieldOrder({"f_bsize", "f_frsize", "f_blocks", "f_bfree", "f_bavail", "f_files", "f_ffree",
      "f_favail", "f_fsid", "f_flag", "f_namemax", "f_spare"})
  public static class Statvfs extends Structure {
    public long f_bsize;
    public long f_frsize;
    public long f_blocks;
    public long f_bfree;
    public long f_bavail;
    public long f_files;
    public long f_ffree;
    public long f_favail;
    public long f_fsid;
    public long f_flag;
    public long f_namemax;
    public int[] f_spare = new int[6];
  }

  interface LibC extends Library {
    LibC INSTANCE = Native.load("c", LibC.class);

    int statvfs(String path, Statvfs buf) throws LastErrorException;
  }

  private static final class Platform {
    static final boolean STATVFS_AVAILABLE = com.sun.jna.Platform.isLinux() && com.sun.jna.Platform.is64Bit();
  }
}
