package org.vacuum.config.vac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.VacConfWatcher.Applied;
import org.vacuum.config.vac.VacConfWatcher.Rejected;
import org.vacuum.config.vac.VacConfWatcher.Update;

class VacConfWatcherTest {

  private static final String SETTINGS = "[settings]\nvac_space = vac01.example.com\n";
  // Long enough that only filesystem events can explain a prompt update.
  private static final Duration EVENTS_ONLY = Duration.ofHours(1);
  private static final long DEADLINE_SECONDS = 10;

  @TempDir Path dir;

  private Path vacD;
  private Path vacConf;
  private Path runConf;
  private final Set<String> volumeGroups = ConcurrentHashMap.newKeySet();
  private final BlockingQueue<Update> updates = new LinkedBlockingQueue<>();
  private VacConfWatcher watcher;

  @BeforeEach
  void setUp() throws IOException {
    vacD = dir.resolve("etc/vac.d");
    Files.createDirectories(vacD);
    vacConf = dir.resolve("etc/vac.conf");
    runConf = Files.createDirectories(dir.resolve("run")).resolve("vac.conf");
  }

  @AfterEach
  void tearDown() {
    if (watcher != null) {
      watcher.close();
    }
  }

  private void start(Duration recheck) throws IOException {
    Host host = new Host("f1.example.com", 8, dir.resolve("state"), volumeGroups::contains, u -> OptionalLong.of(1000));
    watcher = VacConfWatcher.start(new VacConfPaths(vacD, vacConf, runConf), host, updates::add, recheck);
  }

  private <T extends Update> T next(Class<T> type) throws InterruptedException {
    Update u = updates.poll(DEADLINE_SECONDS, TimeUnit.SECONDS);
    assertNotNull(u, "no update within " + DEADLINE_SECONDS + " s");
    return assertInstanceOf(type, u);
  }

  /** Replaces a file the way editors and Puppet do: write a temporary file, rename it over. */
  private static void replace(Path file, String text) throws IOException {
    Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
    Files.writeString(tmp, text);
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  @Test
  void aPipeDueAtARecheckIsFetchedAndItsChangeIsAppliedLikeAnEdit() throws Exception {
    try (PipeTestSupport.PipeServer server = new PipeTestSupport.PipeServer()) {
      server.body = "{\"cache_seconds\": 600, \"machinetypes\": [{\"suffix\": \"prod\", \"target_share\": 1}]}";
      Files.writeString(vacConf, SETTINGS + "[vacuum_pipe lhcb]\nvacuum_pipe_url = " + server.url()
          + "\ntarget_share = 2\n");
      PipeTestSupport.ManualClock clock = new PipeTestSupport.ManualClock();
      VacuumPipes pipes = VacuumPipes.fetching(dir.resolve("state"), PipeFetcher.standard(), clock);
      Host host = new Host("f1.example.com", 8, dir.resolve("state"), volumeGroups::contains, u -> OptionalLong.of(1000));
      watcher = VacConfWatcher.start(new VacConfPaths(vacD, vacConf, runConf), host, updates::add,
          Duration.ofMillis(50), pipes);
      VacConf first = next(Applied.class).conf();
      assertEquals(Set.of("lhcb-prod"), first.machinetypes().keySet());
      assertEquals(2.0, first.machinetypes().get("lhcb-prod").targetShare());

      server.body = "{\"cache_seconds\": 600, \"machinetypes\": [{\"suffix\": \"prod\", \"target_share\": 1},"
          + " {\"suffix\": \"test\", \"target_share\": 1}]}";
      clock.advance(Duration.ofSeconds(600));
      VacConf second = next(Applied.class).conf();
      assertEquals(Set.of("lhcb-prod", "lhcb-test"), second.machinetypes().keySet());
      assertEquals(1.0, second.machinetypes().get("lhcb-test").targetShare());
      assertEquals(2, server.requests.get());

      // The VO's server goes away: the fetch fails, the cached pipe stays in force and nothing is reported.
      server.close();
      clock.advance(Duration.ofSeconds(600));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(DEADLINE_SECONDS);
      while (pipes.due("lhcb", server.url())) {
        assertTrue(System.nanoTime() < deadline, "the watcher did not try to fetch the pipe");
        Thread.sleep(10);
      }
      assertSame(second, watcher.current());
      assertTrue(updates.isEmpty(), updates.toString());
    }
  }

  @Test
  void theFirstReadAndEachChangeAreApplied() throws Exception {
    Files.writeString(vacConf, SETTINGS);
    start(EVENTS_ONLY);
    VacConf first = next(Applied.class).conf();
    assertEquals(2048, first.settings().mbPerProcessor());
    assertSame(first, watcher.current());
    assertTrue(watcher.error().isEmpty());

    Files.writeString(vacConf, SETTINGS + "mb_per_processor = 4096\n");
    VacConf second = next(Applied.class).conf();
    assertEquals(4096, second.settings().mbPerProcessor());
    assertSame(second, watcher.current());

    replace(vacConf, SETTINGS + "mb_per_processor = 3072\n");
    assertEquals(3072, next(Applied.class).conf().settings().mbPerProcessor());
  }

  @Test
  void aBadEditIsRejectedKeepingTheLastGoodAndTheFixIsAppliedAgain() throws Exception {
    Files.writeString(vacConf, SETTINGS + "[machinetype lhcb]\ntarget_share = 1\n");
    start(EVENTS_ONLY);
    VacConf good = next(Applied.class).conf();

    Files.writeString(vacConf, SETTINGS + "[machinetype lhcb]\ntarget_share = abc\n");
    Rejected rejected = next(Rejected.class);
    assertEquals(vacConf + ":4: target_share 'abc' is not a number", rejected.error());
    assertSame(good, rejected.lastGood());
    assertSame(good, watcher.current(), "the last good configuration stays in force");
    assertEquals(rejected.error(), watcher.error().orElseThrow());

    // Back to exactly the last good content: still reported, since the rejection is over.
    Files.writeString(vacConf, SETTINGS + "[machinetype lhcb]\ntarget_share = 1\n");
    VacConf fixed = next(Applied.class).conf();
    assertEquals(good.fingerprint(), fixed.fingerprint());
    assertTrue(watcher.error().isEmpty());
  }

  @Test
  void anEditThatChangesNothingIsNotReported() throws Exception {
    Files.writeString(vacConf, SETTINGS);
    start(EVENTS_ONLY);
    next(Applied.class);
    Files.writeString(vacConf, "# only a comment is new\n" + SETTINGS);
    Files.writeString(vacConf, "# only a comment is new\n" + SETTINGS + "draining = yes\n");
    // The next update is the real change: the comment-only edit produced none.
    assertTrue(next(Applied.class).conf().settings().draining());
  }

  @Test
  void aNewDropInFileIsPickedUp() throws Exception {
    Files.writeString(vacConf, SETTINGS);
    start(EVENTS_ONLY);
    assertTrue(next(Applied.class).conf().machinetypes().isEmpty());
    Files.writeString(vacD.resolve("20-lhcb.conf"), "[machinetype lhcb]\ntarget_share = 5\n");
    assertEquals(5.0, next(Applied.class).conf().machinetypes().get("lhcb").targetShare());
    Files.delete(vacD.resolve("20-lhcb.conf"));
    assertTrue(next(Applied.class).conf().machinetypes().isEmpty());
  }

  @Test
  void aDropInDirectoryThatAppearsLaterIsWatched() throws Exception {
    Files.delete(vacD);
    Files.writeString(vacConf, SETTINGS);
    start(EVENTS_ONLY);
    next(Applied.class);
    Files.createDirectories(vacD);
    Files.writeString(vacD.resolve("30-atlas.conf"), "[machinetype atlas]\n");
    VacConf conf = next(Applied.class).conf();
    assertEquals(Set.of("atlas"), conf.machinetypes().keySet());
    Files.writeString(vacD.resolve("30-atlas.conf"), "[machinetype atlas]\ntarget_share = 2\n");
    assertEquals(2.0, next(Applied.class).conf().machinetypes().get("atlas").targetShare(),
        "later edits inside the new directory are seen too");
  }

  @Test
  void theRunFileSetsAndClearsShutdownTime() throws Exception {
    Files.writeString(vacConf, SETTINGS);
    start(EVENTS_ONLY);
    assertNull(next(Applied.class).conf().settings().shutdownTime());
    Files.writeString(runConf, "[settings]\nshutdown_time = 1767225600\n");
    assertEquals(1767225600L, next(Applied.class).conf().settings().shutdownTime());
    Files.delete(runConf);
    assertNull(next(Applied.class).conf().settings().shutdownTime());
  }

  @Test
  void aFirstReadThatFailsHasNoLastGood() throws Exception {
    start(EVENTS_ONLY);
    Rejected rejected = next(Rejected.class);
    assertTrue(rejected.error().startsWith("no vac.conf file found"), rejected.error());
    assertNull(rejected.lastGood());
    assertNull(watcher.current());
    Files.writeString(vacConf, SETTINGS);
    assertEquals("vac01.example.com", next(Applied.class).conf().settings().vacSpace());
  }

  @Test
  void thePeriodicRecheckRetriesWhatNoFileEventAnnounces() throws Exception {
    // The files never change: only the recheck can notice that the volume group now exists.
    Files.writeString(vacConf, SETTINGS + "volume_group = vg_vac\n");
    start(Duration.ofMillis(100));
    assertTrue(next(Rejected.class).error().contains("volume_group 'vg_vac' does not exist"));
    volumeGroups.add("vg_vac");
    assertEquals("vg_vac", next(Applied.class).conf().settings().volumeGroup());
  }

  @Test
  void aRepeatedErrorIsReportedOnce() throws Exception {
    Files.writeString(vacConf, SETTINGS + "volume_group = vg_vac\n");
    start(Duration.ofMillis(50));
    next(Rejected.class);
    // Many rechecks fail the same way meanwhile; the next report is the one that differs.
    Files.writeString(vacConf, SETTINGS + "volume_group = vg_other\n");
    assertTrue(next(Rejected.class).error().contains("vg_other"));
    volumeGroups.add("vg_other");
    next(Applied.class);
  }

  @Test
  void closeStopsTheWatcherThread() throws Exception {
    Files.writeString(vacConf, SETTINGS);
    start(Duration.ofMillis(50));
    next(Applied.class);
    assertTrue(watcher.isRunning());
    watcher.close();
    assertFalse(watcher.isRunning());
  }
}
