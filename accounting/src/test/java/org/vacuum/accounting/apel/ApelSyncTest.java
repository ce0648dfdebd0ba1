package org.vacuum.accounting.apel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.YearMonth;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sync records (reference/vac.md §5.4) from a real apel-archive. */
class ApelSyncTest {

  @TempDir Path dir;

  private void account(ApelJob job, String now) throws IOException {
    new ApelArchive(dir).account(job, Instant.parse(now));
  }

  @Test
  void countsTheMonthsRecordsOnly() throws IOException {
    account(ApelJobs.withUuid(ApelJobs.lhcb(), "oct-31"), "2023-10-31T23:59:59Z");
    account(ApelJobs.withUuid(ApelJobs.lhcb(), "nov-01"), "2023-11-01T00:00:00Z");
    account(ApelJobs.withUuid(ApelJobs.lhcb(), "nov-30"), "2023-11-30T12:00:00Z");
    account(ApelJobs.withUuid(ApelJobs.lhcb(), "dec-01"), "2023-12-01T00:00:01Z");

    ApelSync.Summary november = ApelSync.summarise(dir, YearMonth.of(2023, 11));
    assertEquals(2, november.numberOfJobs());
    assertEquals(ApelRecordsTest.expected("sync-202311.txt"), ApelSync.record(november));
    assertEquals(1, ApelSync.summarise(dir, YearMonth.of(2023, 10)).numberOfJobs());
    assertEquals(1, ApelSync.summarise(dir, YearMonth.of(2023, 12)).numberOfJobs());
  }

  @Test
  void recordsDifferingFromTheNewestAreSkippedWithAPleaseFix() throws IOException {
    // written before gocdb_sitename was set: the placeholder Site
    account(ApelJobs.withSitename(ApelJobs.withUuid(ApelJobs.lhcb(), "old"), null), "2023-11-02T10:00:00Z");
    account(ApelJobs.withFactory(ApelJobs.withUuid(ApelJobs.lhcb(), "renamed"), "f9.example.com"),
        "2023-11-03T10:00:00Z");
    account(ApelJobs.withUuid(ApelJobs.lhcb(), "a"), "2023-11-04T10:00:00Z");
    account(ApelJobs.withUuid(ApelJobs.lhcb(), "b"), "2023-11-05T10:00:00Z");
    Path noSite = Files.createDirectories(dir.resolve("apel-archive/20231101")).resolve("10000000000000");
    Files.writeString(noSite, "APEL-individual-job-message: v0.3\nSubmitHost: x/vac-y\n%%\n");

    ApelSync.Summary s = ApelSync.summarise(dir, YearMonth.of(2023, 11));
    assertEquals(2, s.numberOfJobs());
    assertEquals("UKI-NORTHGRID-EXAMPLE", s.site());
    assertEquals("vac01.example.com/vac-f1.example.com", s.submitHost());
    assertEquals(3, s.skipped().size(), s.skipped().toString());
    assertTrue(s.skipped().get(0).matches("skipped .*/apel-archive/20231103/100000\\d{8}: SubmitHost is "
        + "'vac01.example.com/vac-f9.example.com', not 'vac01.example.com/vac-f1.example.com' as in the newest "
        + "record .*/apel-archive/20231105/100000\\d{8}; please fix the file.*"), s.skipped().get(0));
    assertTrue(s.skipped().get(1).matches("skipped .*/20231102/\\d{14}: Site is 'example.com', not "
        + "'UKI-NORTHGRID-EXAMPLE' .*please fix.*"), s.skipped().get(1));
    assertTrue(s.skipped().get(2).startsWith("skipped " + noSite + ": it has no Site line; please fix"),
        s.skipped().get(2));
  }

  @Test
  void aMonthWithoutRecordsIsEmptyAndHasNoSyncRecord() throws IOException {
    ApelSync.Summary none = ApelSync.summarise(dir, YearMonth.of(2023, 11));
    assertTrue(none.empty());
    assertThrows(IllegalArgumentException.class, () -> ApelSync.record(none));
  }

  @Test
  void theSyncRecordGoesToOutgoingUnderTodayWithVacsModes() throws IOException {
    Path file = ApelSync.write(dir, "APEL-sync-message: v0.1\n%%\n", Instant.parse("2023-12-01T12:00:00.000000042Z"));
    assertEquals(dir.resolve("apel-outgoing/20231201/12000000000004"), file);
    assertEquals("APEL-sync-message: v0.1\n%%\n", Files.readString(file));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    Path second = ApelSync.write(dir, "x", Instant.parse("2023-12-01T12:00:00.000000042Z"));
    assertEquals(dir.resolve("apel-outgoing/20231201/12000000000005"), second);
  }

  @Test
  void theDefaultMonthIsTheOneContainingADayAgo() {
    assertEquals(YearMonth.of(2023, 11), ApelSync.defaultMonth(Instant.parse("2023-12-01T12:00:00Z")));
    assertEquals(YearMonth.of(2023, 12), ApelSync.defaultMonth(Instant.parse("2023-12-02T00:00:00Z")));
    assertEquals(YearMonth.of(2023, 12), ApelSync.defaultMonth(Instant.parse("2024-01-01T23:59:59Z")));
  }

  @Test
  void monthsAreYyyymm() {
    assertEquals(YearMonth.of(2024, 1), ApelSync.month("202401"));
    for (String bad : new String[] {"2024-01", "202413", "202400", "24011", "january"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ApelSync.month(bad));
      assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
    }
  }
}
