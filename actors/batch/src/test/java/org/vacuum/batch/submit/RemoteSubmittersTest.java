package org.vacuum.batch.submit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The pure parts of the SSH submitters: Slurm's job states mapped as APF maps batch states, and
 * what the remote scripts print parsed back. The remote side itself is tested end to end in
 * src-test ({@code SshForkSubmitterTest}, {@code SlurmSubmitterTest}).
 */
class RemoteSubmittersTest {

  private static final SshResource RESOURCE = new SshResource("login.example.org", 22, "alice", "unused",
      Duration.ofSeconds(5));

  @Test
  void slurmStatesMapToPilotStatesAsApfWithHeldAndSuspendedAsHeld() {
    assertEquals(PilotState.IDLE, SlurmSubmitter.state("PENDING", "Resources"));
    assertEquals(PilotState.IDLE, SlurmSubmitter.state("CONFIGURING", "None"));
    assertEquals(PilotState.HELD, SlurmSubmitter.state("PENDING", "JobHeldUser"));
    assertEquals(PilotState.HELD, SlurmSubmitter.state("PENDING", "JobHeldAdmin"));
    assertEquals(PilotState.HELD, SlurmSubmitter.state("SUSPENDED", "None"));
    assertEquals(PilotState.RUNNING, SlurmSubmitter.state("RUNNING", "None"));
    assertEquals(PilotState.RUNNING, SlurmSubmitter.state("COMPLETING", "None"));
    for (String done : List.of("COMPLETED", "CANCELLED", "FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY")) {
      assertEquals(PilotState.DONE, SlurmSubmitter.state(done, "None"), done);
    }
    // A state this version does not know keeps the pilot counted as pending, never as gone.
    assertEquals(PilotState.IDLE, SlurmSubmitter.state("SOME_NEW_STATE", "None"));
  }

  @Test
  void squeueLinesOfAStatusScriptAreReadAndOthersIgnored() {
    Map<String, SlurmSubmitter.Job> jobs = SlurmSubmitter.parseSqueue(
        "J 12 RUNNING None\nJ 13 PENDING JobHeldAdmin\nP p1-00001 1795292521000 12 1 - 0 -\n");
    assertEquals(List.of("12", "13"), List.copyOf(jobs.keySet()));
    assertEquals(new SlurmSubmitter.Job("13", "PENDING", "JobHeldAdmin"), jobs.get("13"));
  }

  @Test
  void sandboxListingLinesGiveStateExitCodeAndWhyAPilotEnded() {
    Map<String, RemoteSandbox.Listed> listed = RemoteSandbox.parseListing(String.join("\n",
        "J 12 RUNNING None",
        "P p1-00001 1795292521000 4242 1 - 0 -",
        "P p1-00002 1795292522000 4243 0 3 0 1795292600",
        "P p1-00003 1795292523000 4244 0 137 1 1795292600",
        "P p1-00004 1795292524000 - 0 - 0 1795292600",
        "P half-written"));
    assertEquals(List.of("p1-00001", "p1-00002", "p1-00003", "p1-00004"), List.copyOf(listed.keySet()));
    RemoteSandbox.Listed running = listed.get("p1-00001");
    assertTrue(running.alive());
    assertEquals(Instant.ofEpochMilli(1795292521000L), running.submitted());
    assertEquals("exited 3", RemoteSandbox.endReason(listed.get("p1-00002"), "?"));
    assertEquals(Optional.of(3), listed.get("p1-00002").exitCode());
    assertEquals("retired", RemoteSandbox.endReason(listed.get("p1-00003"), "?"));
    assertEquals("lost", RemoteSandbox.endReason(listed.get("p1-00004"), "lost"));
    Instant now = Instant.ofEpochSecond(1795292600L);
    assertTrue(RemoteSandbox.expired(listed.get("p1-00002"), Duration.ofSeconds(10), now.plusSeconds(11)));
    assertTrue(!RemoteSandbox.expired(listed.get("p1-00002"), Duration.ofSeconds(10), now.plusSeconds(9)));
  }

  @Test
  void theWrapperExportsQuotedVariablesRunsTheCommandAndRecordsItsExitStatus() {
    PilotSpec spec = new PilotSpec("vc1.workers.alice.res", List.of("/bin/sh", "it's.sh"),
        Map.of("GREETING", "hello 'world' $HOME"), Map.of(), Path.of("/scratch/vacuum"));
    PilotId id = new PilotId(spec.queue(), "p1-00001");
    String fork = RemoteSandbox.launcher(spec, id, true);
    assertTrue(fork.contains("export GREETING='hello '\\''world'\\'' $HOME'\n"), fork);
    assertTrue(fork.contains("export VACUUM_PILOT_ID='p1-00001'\n"), fork);
    assertTrue(fork.contains("'/bin/sh' 'it'\\''s.sh' </dev/null\ncode=$?\n"), fork);
    assertTrue(fork.contains("mv .vacuum/exitcode.new .vacuum/exitcode"), fork);
    assertTrue(fork.contains("kill -TERM -$$"), "a forked pilot's leftovers are ended: " + fork);
    String batch = RemoteSandbox.launcher(spec, id, false);
    assertTrue(!batch.contains("kill"), "Slurm ends a job's processes itself: " + batch);
  }

  @Test
  void aSpecForAnotherRootOrOverwritingTheBookkeepingIsRefused() {
    RemoteSandbox sandboxes = new RemoteSandbox(null, RESOURCE, "/scratch/alice/vacuum/", Clock.systemUTC());
    sandboxes.checkRoot(new PilotSpec("q", List.of("true"), Map.of(), Map.of(), Path.of("/scratch/alice/vacuum")));
    IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> sandboxes.checkRoot(
        new PilotSpec("q", List.of("true"), Map.of(), Map.of(), Path.of("/tmp/vacuum"))));
    assertEquals("pilot queue q: sandbox root '/tmp/vacuum' is not this submitter's root '/scratch/alice/vacuum'"
        + " on login.example.org", other.getMessage());
    assertThrows(IllegalArgumentException.class, () -> sandboxes.checkRoot(new PilotSpec("q", List.of("true"),
        Map.of(), Map.of(".vacuum/pid", new byte[0]), Path.of("/scratch/alice/vacuum"))));
    assertEquals("/scratch/alice/vacuum", SshResource.sandboxRoot("/scratch/alice/"));
  }

  @Test
  void newPilotNamesAreDistinctAndSortInSubmissionOrder() {
    RemoteSandbox sandboxes = new RemoteSandbox(null, RESOURCE, "/scratch", Clock.systemUTC());
    List<PilotId> ids = sandboxes.newIds("q", 3);
    assertEquals(3, ids.stream().distinct().count());
    assertEquals(ids, ids.stream().sorted().toList());
  }
}
