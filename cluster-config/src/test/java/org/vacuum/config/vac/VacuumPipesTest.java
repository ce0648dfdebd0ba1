package org.vacuum.config.vac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.PipeTestSupport.ManualClock;
import org.vacuum.config.vac.PipeTestSupport.PipeServer;

/** Fetching and caching pipes (reference/vac.md §7.2) from a real HTTP server on a free port. */
class VacuumPipesTest {

  private static final String V1 = "{\"cache_seconds\": 600, \"machinetypes\": [{\"suffix\": \"prod\", \"target_share\": 1}]}";
  private static final String V2 = "{\"cache_seconds\": 600, \"machinetypes\": [{\"suffix\": \"prod\"}, {\"suffix\": \"test\"}]}";

  @TempDir Path dir;

  private PipeServer server;
  private final ManualClock clock = new ManualClock();
  private VacuumPipes pipes;

  @BeforeEach
  void setUp() throws Exception {
    server = new PipeServer();
    server.body = V1;
    pipes = VacuumPipes.fetching(dir, PipeFetcher.standard(), clock);
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void theFirstFetchIsCachedAndNotRepeatedWithinCacheSeconds() throws Exception {
    assertTrue(pipes.due("lhcb", server.url()));
    VacuumPipes.Loaded first = pipes.load("lhcb", server.url());
    assertEquals(List.of(), first.warnings());
    assertEquals(1, first.content().machinetypes().size());
    assertEquals(600, first.content().cacheSeconds());
    assertEquals(1, server.requests.get());
    Path cache = dir.resolve("pipescache/lhcb.pipe");
    assertTrue(Files.readString(cache).contains("\"vacuum_pipe_url\":\"" + server.url() + "\""));
    assertEquals(clock.instant(), Files.getLastModifiedTime(cache).toInstant());

    clock.advance(Duration.ofSeconds(599));
    server.body = V2;
    assertFalse(pipes.due("lhcb", server.url()));
    assertEquals(first.content(), pipes.load("lhcb", server.url()).content());
    assertEquals(1, server.requests.get(), "no fetch within cache_seconds");

    clock.advance(Duration.ofSeconds(1));
    assertTrue(pipes.due("lhcb", server.url()));
    assertEquals(2, pipes.load("lhcb", server.url()).content().machinetypes().size());
    assertEquals(2, server.requests.get(), "fetched again once cache_seconds have passed");
  }

  @Test
  void aNewProcessUsesTheCacheWhileItIsFresh() throws Exception {
    PipeContent fetched = pipes.load("lhcb", server.url()).content();
    VacuumPipes restarted = VacuumPipes.fetching(dir, PipeFetcher.standard(), clock);
    assertEquals(fetched, restarted.load("lhcb", server.url()).content());
    assertEquals(fetched, VacuumPipes.cacheOnly(dir).load("lhcb", server.url()).content());
    assertEquals(1, server.requests.get());
  }

  @Test
  void aServerThatIsDownLeavesTheCachedPipeInUseWithAWarning() throws Exception {
    PipeContent cached = pipes.load("lhcb", server.url()).content();
    server.close();
    clock.advance(Duration.ofSeconds(600));
    VacuumPipes.Loaded loaded = pipes.load("lhcb", server.url());
    assertEquals(cached, loaded.content());
    assertEquals(1, loaded.warnings().size());
    String w = loaded.warnings().get(0);
    assertTrue(w.startsWith("fetching " + server.url() + " failed ("), w);
    assertTrue(w.endsWith("); the copy cached at " + clock.instant().minusSeconds(600) + " is used"), w);

    assertFalse(pipes.due("lhcb", server.url()), "a failed fetch is retried after a pause, not on every recheck");
    clock.advance(VacuumPipes.RETRY_AFTER_FAILURE);
    assertTrue(pipes.due("lhcb", server.url()));
  }

  @Test
  void malformedJsonOrAnErrorStatusLeavesTheCachedPipeInUseWithAWarning() throws Exception {
    PipeContent cached = pipes.load("lhcb", server.url()).content();
    String before = Files.readString(dir.resolve("pipescache/lhcb.pipe"));
    server.body = "{\"machinetypes\": [";
    clock.advance(Duration.ofSeconds(600));
    VacuumPipes.Loaded loaded = pipes.load("lhcb", server.url());
    assertEquals(cached, loaded.content());
    assertTrue(loaded.warnings().get(0).startsWith("fetching " + server.url() + " failed (not JSON ("),
        loaded.warnings().toString());
    assertEquals(before, Files.readString(dir.resolve("pipescache/lhcb.pipe")), "the cache is not overwritten");

    server.body = "{\"cache_seconds\": 60}";
    clock.advance(VacuumPipes.RETRY_AFTER_FAILURE);
    assertTrue(pipes.load("lhcb", server.url()).warnings().get(0)
        .contains("failed (has no machinetypes list (a pipe of Vac 03.00 or later is needed))"));

    server.status = 503;
    clock.advance(VacuumPipes.RETRY_AFTER_FAILURE);
    loaded = pipes.load("lhcb", server.url());
    assertEquals(cached, loaded.content());
    assertTrue(loaded.warnings().get(0).contains("failed (HTTP status 503)"), loaded.warnings().toString());
  }

  @Test
  void withoutACacheAFailedFetchLeavesThePipesMachinetypesOutAndTheRestInForce() throws Exception {
    server.status = 404;
    Path etc = Files.createDirectories(dir.resolve("etc"));
    Files.writeString(etc.resolve("vac.conf"), "[settings]\nvac_space = vac01.example.com\n[machinetype atlas]\n"
        + "target_share = 1\n[vacuum_pipe lhcb]\nvacuum_pipe_url = " + server.url() + "\ntarget_share = 1\n");
    Host host = new Host("f1.example.com", 8, dir, vg -> false, u -> OptionalLong.of(1000));
    VacConf conf = VacConfReader.read(new VacConfPaths(etc.resolve("vac.d"), etc.resolve("vac.conf"),
        dir.resolve("run.conf")), host, pipes);
    assertEquals(Set.of("atlas"), conf.machinetypes().keySet());
    assertEquals(List.of(etc.resolve("vac.conf") + ":5: [vacuum_pipe lhcb] fetching " + server.url() + " failed (HTTP"
        + " status 404); there is no cached copy in " + dir.resolve("pipescache/lhcb.pipe") + ", so its machinetypes"
        + " are absent until a fetch works"), conf.warnings());
  }

  @Test
  void aChangedUrlIsNotServedFromTheOldUrlsCache() throws Exception {
    pipes.load("lhcb", server.url());
    String moved = server.url().replace("lhcb.pipe", "moved.pipe");
    assertTrue(pipes.due("lhcb", moved));
    VacuumPipes.Loaded loaded = pipes.load("lhcb", moved);
    assertNull(loaded.content());
    assertTrue(loaded.warnings().get(0).contains("failed (HTTP status 404); there is no cached copy"));
    assertNull(VacuumPipes.cacheOnly(dir).load("lhcb", moved).content());
  }

  @Test
  void fileUrlsAreFetchedToo() throws Exception {
    Path pipe = Files.writeString(dir.resolve("mirror.pipe"), V2);
    VacuumPipes.Loaded loaded = pipes.load("mirror", pipe.toUri().toString());
    assertNotNull(loaded.content());
    assertEquals(2, loaded.content().machinetypes().size());
    VacuumPipes.Loaded missing = pipes.load("gone", dir.resolve("gone.pipe").toUri().toString());
    assertTrue(missing.warnings().get(0).contains("gone.pipe does not exist"), missing.warnings().toString());
  }
}
