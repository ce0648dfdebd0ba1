package org.vacuum.accounting.apel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** apel-archive/ and apel-outgoing/ on a real directory: names, modes, and one record per machine uuid. */
class ApelArchiveTest {

  // 23:30 UTC on 30 November: a local date would differ in most time zones east of Greenwich.
  static final Instant NOW = Instant.parse("2023-11-30T23:30:07.123456789Z");
  static final Instant LATER = Instant.parse("2023-12-01T02:00:00.5Z");

  @TempDir Path dir;

  static List<Path> files(Path top) throws IOException {
    if (!Files.isDirectory(top)) {
      return List.of();
    }
    try (Stream<Path> s = Files.walk(top)) {
      return s.filter(Files::isRegularFile).sorted().toList();
    }
  }

  static String mode(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void publishableRecordGoesToArchiveAndOutgoingUnderTheUtcDateWithVacsNamesAndModes() throws IOException {
    Path file = new ApelArchive(dir).account(ApelJobs.lhcb(), NOW);

    assertEquals(dir.resolve("apel-archive/20231130/23300712345678"), file);
    assertTrue(file.getFileName().toString().matches("\\d{6}\\d{8}"));
    Path outgoing = dir.resolve("apel-outgoing/20231130/23300712345678");
    assertEquals(List.of(file), files(dir.resolve("apel-archive")));
    assertEquals(List.of(outgoing), files(dir.resolve("apel-outgoing")));
    String record = ApelRecords.individual(ApelJobs.lhcb());
    assertEquals(record, Files.readString(file));
    assertEquals(record, Files.readString(outgoing));
    for (String d : List.of("apel-archive", "apel-archive/20231130", "apel-outgoing", "apel-outgoing/20231130")) {
      assertEquals("rwxr-xr-x", mode(dir.resolve(d)), d);
    }
    assertEquals("rw-r--r--", mode(file));
    assertEquals("rw-r--r--", mode(outgoing));
    assertEquals(List.of(), files(dir.resolve("apel-tmp")), "no temporary file left");
  }

  @Test
  void withoutGocdbSitenameTheRecordIsArchivedOnly() throws IOException {
    Path file = new ApelArchive(dir).account(ApelJobs.withSitename(ApelJobs.lhcb(), null), NOW);
    assertEquals(List.of(file), files(dir.resolve("apel-archive")));
    assertEquals(List.of(), files(dir.resolve("apel-outgoing")));
    assertTrue(Files.readString(file).contains("\nSite: example.com\n"));
  }

  @Test
  void withoutHs06PerProcessorTheRecordIsArchivedOnly() throws IOException {
    Path file = new ApelArchive(dir).account(ApelJobs.withHs06(ApelJobs.lhcb(), null), NOW);
    assertEquals(List.of(file), files(dir.resolve("apel-archive")));
    assertEquals(List.of(), files(dir.resolve("apel-outgoing")));
  }

  @Test
  void accountingAMachineTwiceWritesOneRecord() throws IOException {
    ApelArchive archive = new ApelArchive(dir);
    assertFalse(archive.accounted(ApelJobs.lhcb().machineUuid()));
    Path first = archive.account(ApelJobs.lhcb(), NOW);
    assertTrue(archive.accounted(ApelJobs.lhcb().machineUuid()));
    Path again = archive.account(ApelJobs.lhcb(), LATER);
    Path afterRestart = new ApelArchive(dir).account(ApelJobs.lhcb(), LATER);
    assertEquals(first, again);
    assertEquals(first, afterRestart);
    assertEquals(1, files(dir.resolve("apel-archive")).size());
    assertEquals(1, files(dir.resolve("apel-outgoing")).size());
  }

  @Test
  void aRecordSentAndDeletedBySsmsendIsNotWrittenAgain() throws IOException {
    ApelArchive archive = new ApelArchive(dir);
    archive.account(ApelJobs.lhcb(), NOW);
    Files.delete(dir.resolve("apel-outgoing/20231130/23300712345678"));
    archive.account(ApelJobs.lhcb(), LATER);
    assertTrue(archive.accounted(ApelJobs.lhcb().machineUuid()));
    assertEquals(List.of(), files(dir.resolve("apel-outgoing")));
  }

  @Test
  void retryAfterACrashFollowingTheIntentWritesTheRecordOnceUnderTheIntendedName() throws IOException {
    new ApelArchive(dir).intend(ApelJobs.lhcb(), NOW);
    ApelArchive restarted = new ApelArchive(dir);
    assertFalse(restarted.accounted(ApelJobs.lhcb().machineUuid()), "an intent alone is not an account");

    Path file = restarted.account(ApelJobs.lhcb(), LATER);
    assertEquals(dir.resolve("apel-archive/20231130/23300712345678"), file);
    assertEquals(List.of(file), files(dir.resolve("apel-archive")));
    assertEquals(1, files(dir.resolve("apel-outgoing")).size());
    assertTrue(restarted.accounted(ApelJobs.lhcb().machineUuid()));
  }

  @Test
  void retryAfterACrashFollowingTheArchiveFileRewritesTheSameFiles() throws IOException {
    ApelArchive crashed = new ApelArchive(dir);
    ApelArchive.Intent intent = crashed.intend(ApelJobs.lhcb(), NOW);
    crashed.writeRecords(intent);
    List<Path> archived = files(dir.resolve("apel-archive"));
    List<Path> outgoing = files(dir.resolve("apel-outgoing"));

    ApelArchive restarted = new ApelArchive(dir);
    // even if the configuration changed meanwhile, the retry writes what was intended
    Path file = restarted.account(ApelJobs.withSitename(ApelJobs.lhcb(), "OTHER-SITE"), LATER);
    assertEquals(archived, List.of(file));
    assertEquals(archived, files(dir.resolve("apel-archive")));
    assertEquals(outgoing, files(dir.resolve("apel-outgoing")));
    assertEquals(ApelRecords.individual(ApelJobs.lhcb()), Files.readString(file));
    assertTrue(restarted.accounted(ApelJobs.lhcb().machineUuid()));
  }

  @Test
  void machinesAccountedInTheSameInstantGetDifferentFiles() throws IOException {
    ApelArchive archive = new ApelArchive(dir);
    Path a = archive.account(ApelJobs.lhcb(), NOW);
    Path b = archive.account(ApelJobs.withUuid(ApelJobs.lhcb(), "second-machine"), NOW);
    assertNotEquals(a, b);
    assertEquals(dir.resolve("apel-archive/20231130/23300712345679"), b);
    assertEquals(2, files(dir.resolve("apel-outgoing")).size());
  }

  @Test
  void concurrentAccountsOfOneMachineWriteOneRecord() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Path>> calls = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        Instant now = NOW.plusSeconds(i);
        calls.add(pool.submit(() -> new ApelArchive(dir).account(ApelJobs.lhcb(), now)));
      }
      Path first = calls.get(0).get();
      for (Future<Path> call : calls) {
        assertEquals(first, call.get());
      }
    } finally {
      pool.shutdown();
    }
    assertEquals(1, files(dir.resolve("apel-archive")).size());
    assertEquals(1, files(dir.resolve("apel-outgoing")).size());
  }

  @Test
  void aUuidThatCannotNameAFileIsRefused() {
    ApelArchive archive = new ApelArchive(dir);
    assertThrows(IllegalArgumentException.class,
        () -> archive.account(ApelJobs.withUuid(ApelJobs.lhcb(), "../escape"), NOW));
    assertThrows(IllegalArgumentException.class, () -> archive.accounted(".hidden"));
  }
}
