package org.vacuum.accounting.apel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** Individual job records byte for byte against the hand-written files of reference/vac.md §5.2. */
class ApelRecordsTest {

  static String expected(String name) throws IOException {
    try (InputStream in = ApelRecordsTest.class.getResourceAsStream("/apel/" + name)) {
      if (in == null) {
        throw new IOException("no test resource apel/" + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void recordWithFqanHasEveryLineInVacsOrder() throws IOException {
    assertEquals(expected("fqan-set.txt"), ApelRecords.individual(ApelJobs.lhcb()));
  }

  @Test
  void recordWithoutFqanOmitsTheFqanLine() throws IOException {
    assertEquals(expected("fqan-unset.txt"), ApelRecords.individual(ApelJobs.withFqan(ApelJobs.lhcb(), null)));
    assertEquals(expected("fqan-unset.txt"), ApelRecords.individual(ApelJobs.withFqan(ApelJobs.lhcb(), " ")));
  }

  @Test
  void multiprocessorRecordCountsMemoryForEveryProcessorAndServiceLevelPerProcessor() throws IOException {
    assertEquals(expected("multiprocessor.txt"), ApelRecords.individual(ApelJobs.multiprocessor()));
  }

  @Test
  void withoutHs06PerProcessorServiceLevelIsOneAndTheRecordIsNotPublishable() throws IOException {
    ApelJob job = ApelJobs.withHs06(ApelJobs.lhcb(), null);
    assertEquals(expected("hs06-unset.txt"), ApelRecords.individual(job));
    assertFalse(ApelRecords.publishable(job));
  }

  @Test
  void withoutGocdbSitenameSiteIsTheSpaceWithoutItsFirstLabel() throws IOException {
    ApelJob job = ApelJobs.withSitename(ApelJobs.lhcb(), null);
    assertEquals(expected("sitename-unset.txt"), ApelRecords.individual(job));
    assertEquals("example.com", ApelRecords.site(job));
    assertFalse(ApelRecords.publishable(job));
    assertTrue(ApelRecords.publishable(ApelJobs.lhcb()));
  }

  @Test
  void globalUserNameIsTheSpaceAsDomainComponentsLastLabelFirst() {
    assertEquals("/DC=com/DC=example/DC=vac01", ApelRecords.globalUserName("vac01.example.com"));
    assertEquals("/DC=uk/DC=ac/DC=gridpp/DC=vac", ApelRecords.globalUserName("vac.gridpp.ac.uk"));
  }

  @Test
  void serviceLevelIsWrittenAsVacsPythonFloat() {
    assertEquals("10.0", ApelRecords.decimal(10));
    assertEquals("12.5", ApelRecords.decimal(12.5));
    assertEquals("10000000.0", ApelRecords.decimal(1e7));
    assertEquals("0.001", ApelRecords.decimal(0.001));
  }

  @Test
  void machinesThatNeverStartedOrFizzledAreNotAccountable() {
    Instant started = Instant.ofEpochSecond(1_700_000_000L);
    assertFalse(ApelRecords.accountable(null, null, 600), "never started");
    assertFalse(ApelRecords.accountable(started, null, 600), "never seen running");
    assertFalse(ApelRecords.accountable(started, started.plusSeconds(599), 600), "shorter than fizzle_seconds");
    assertTrue(ApelRecords.accountable(started, started.plusSeconds(600), 600), "exactly fizzle_seconds");
    assertTrue(ApelRecords.accountable(started, started.plusSeconds(7260), 600));
    // decided on the whole seconds WallDuration shows (600), not the 599.2 s between the instants
    assertTrue(ApelRecords.accountable(started.plusMillis(900), started.plusSeconds(600).plusMillis(100), 600));
  }
}
