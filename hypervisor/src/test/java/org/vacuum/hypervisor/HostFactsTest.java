package org.vacuum.hypervisor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostFactsTest {

  @TempDir Path dir;

  @Test
  void readsProcFilesTheWayVacReportsThem() throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc"));
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Files.createDirectories(proc.resolve("sys/kernel"));
    Files.writeString(proc.resolve("loadavg"), "0.50 1.25 2.75 3/456 7890\n");
    Files.writeString(proc.resolve("meminfo"), """
        MemTotal:       16000000 kB
        MemFree:         1000000 kB
        MemAvailable:   12000000 kB
        SwapTotal:       2000000 kB
        SwapFree:        1500000 kB
        """);
    Files.writeString(proc.resolve("stat"), "cpu  1 2 3\nbtime 1700000000\nprocesses 5\n");
    Files.writeString(proc.resolve("sys/kernel/osrelease"), "6.1.0-test\n");
    Files.writeString(etc.resolve("redhat-release"), "AlmaLinux release 9.4\n");

    HostFacts facts = HostFacts.read(proc, etc, dir, dir);

    assertEquals(2.75, facts.loadAverage15());
    assertEquals(16000000, facts.memTotalKb());
    assertEquals(4000000, facts.memUsedKb());
    assertEquals(500000, facts.swapUsedKb());
    assertEquals(1500000, facts.swapFreeKb());
    assertEquals(1700000000L, facts.bootTime());
    assertEquals("6.1.0-test", facts.kernelVersion());
    assertEquals("AlmaLinux release 9.4", facts.osIssue());

    Files.writeString(etc.resolve("redhat-release.vac"), "Site image 1\n");
    assertEquals("Site image 1", HostFacts.read(proc, etc, dir, dir).osIssue(), "the .vac file wins as in Vac");
  }

  @Test
  void diskSpaceOfARealDirectoryComesFromStatvfs() {
    HostFacts facts = HostFacts.read(dir);
    long javaKb = dir.toFile().getUsableSpace() / 1024;
    assertTrue(facts.stateDir().availKb() > 0, "avail kb " + facts.stateDir().availKb());
    // statvfs and Java's getUsableSpace read the same file system a moment apart.
    assertTrue(Math.abs(facts.stateDir().availKb() - javaKb) < 512 * 1024,
        facts.stateDir().availKb() + " vs " + javaKb);
    assertTrue(facts.stateDir().availInodes() > 0);
    assertTrue(facts.bootTime() > 1_000_000_000L);
    assertTrue(facts.memTotalKb() > 0);
  }

  @Test
  void missingProcFilesReadAsUnknownNotAsAFailure() {
    HostFacts facts = HostFacts.read(dir.resolve("none"), dir.resolve("none"), dir, dir.resolve("gone"));
    assertEquals(-1.0, facts.loadAverage15());
    assertEquals(-1, facts.memTotalKb());
    assertEquals(-1, facts.bootTime());
    assertEquals(-1, facts.stateDir().availKb());
  }
}
