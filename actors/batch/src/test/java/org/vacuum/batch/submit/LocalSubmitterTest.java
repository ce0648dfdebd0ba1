package org.vacuum.batch.submit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalSubmitterTest {

  @TempDir Path root;
  private final LocalSubmitter submitter =
      new LocalSubmitter(Duration.ofSeconds(2), Duration.ofHours(1), Clock.systemUTC());

  @AfterEach
  void close() {
    submitter.close();
  }

  private PilotSpec spec(String script, Map<String, String> env, Map<String, byte[]> files) {
    return new PilotSpec("c1.workers.alice.site", List.of("/bin/sh", "-c", script), env, files,
        root);
  }

  private static void await(Duration limit, String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
      }
      Thread.sleep(20);
    }
  }

  private PilotInfo awaitDone(PilotId id) throws InterruptedException {
    await(Duration.ofSeconds(10), id + " done",
        () -> submitter.status(id.queue()).get(id).isDone());
    return submitter.status(id.queue()).get(id);
  }

  private Path sandbox(PilotId id) {
    return root.resolve(id.queue()).resolve(id.name());
  }

  @Test
  void pilotRunsInItsSandboxWithStagedFilesAndVariables() throws Exception {
    PilotId id = submitter.submit(spec(
        "cat secret/token; echo \"$GREETING $VACUUM_PILOT_QUEUE\"; pwd; echo oops >&2",
        Map.of("GREETING", "hello world"),
        Map.of("secret/token", "t0k3n\n".getBytes(StandardCharsets.UTF_8))), 1).get(0);

    PilotInfo info = awaitDone(id);

    assertEquals(Optional.of(0), info.exitCode());
    assertEquals(Optional.of("exited 0"), info.reason());
    Path sandbox = sandbox(id);
    assertEquals("t0k3n\nhello world c1.workers.alice.site\n" + sandbox.toRealPath() + "\n",
        Files.readString(sandbox.resolve("stdout")));
    assertEquals("oops\n", Files.readString(sandbox.resolve("stderr")));
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(sandbox.resolve("secret/token"))));
  }

  @Test
  void exitCodesAreReportedPerPilot() throws Exception {
    List<PilotId> ids = submitter.submit(spec("exit $((${VACUUM_PILOT_ID##*-} % 3 + 3))",
        Map.of(), Map.of()), 3);

    assertEquals(3, ids.size());
    for (PilotId id : ids) {
      int serial = Integer.parseInt(id.name().substring(id.name().lastIndexOf('-') + 1));
      PilotInfo info = awaitDone(id);
      assertEquals(Optional.of(serial % 3 + 3), info.exitCode());
      assertEquals(Optional.of("exited " + (serial % 3 + 3)), info.reason());
    }
    assertEquals(Map.of(), submitter.status("other.queue.x"));
  }

  @Test
  void runningPilotIsRunningUntilItExits() throws Exception {
    Path go = root.resolve("go");
    PilotId id = submitter.submit(spec("while [ ! -e " + go + " ]; do sleep 0.05; done",
        Map.of(), Map.of()), 1).get(0);

    assertEquals(PilotState.RUNNING, submitter.status(id.queue()).get(id).state());
    Files.createFile(go);
    assertEquals(Optional.of(0), awaitDone(id).exitCode());
  }

  @Test
  void retireKillsTheWholeProcessTreeAndOnlyTheRetiredPilots() throws Exception {
    // Each pilot leaves a background grandchild that ignores nothing and sleeps: retirement must
    // end it too.
    List<PilotId> ids = submitter.submit(spec("sleep 300 & echo $! > child.pid; wait",
        Map.of(), Map.of()), 2);
    PilotId victim = ids.get(0);
    PilotId survivor = ids.get(1);
    await(Duration.ofSeconds(10), "child pids written",
        () -> ids.stream().allMatch(i -> Files.exists(sandbox(i).resolve("child.pid"))));
    long victimChild = childPid(victim);
    long survivorChild = childPid(survivor);

    submitter.retire(List.of(victim));

    PilotInfo info = submitter.status(victim.queue()).get(victim);
    assertEquals(PilotState.DONE, info.state());
    assertEquals(Optional.of("retired"), info.reason());
    assertFalse(alive(victimChild));
    assertEquals(PilotState.RUNNING, submitter.status(survivor.queue()).get(survivor).state());
    assertTrue(alive(survivorChild));
  }

  @Test
  void retireForcesPilotsThatIgnoreTerm() throws Exception {
    PilotId id = submitter.submit(spec("trap '' TERM; echo ready > ready; while :; do sleep 0.1; done",
        Map.of(), Map.of()), 1).get(0);
    await(Duration.ofSeconds(10), "trap set", () -> Files.exists(sandbox(id).resolve("ready")));

    long start = System.nanoTime();
    submitter.retire(List.of(id));

    assertTrue(Duration.ofNanos(System.nanoTime() - start).compareTo(Duration.ofMillis(1900)) > 0,
        "SIGKILL only after the grace period");
    PilotInfo info = submitter.status(id.queue()).get(id);
    assertEquals(Optional.of(137), info.exitCode());
    assertEquals(Optional.of("retired"), info.reason());
  }

  @Test
  void leftoversOfAnEndedPilotAreKilled() throws Exception {
    PilotId id = submitter.submit(spec("sleep 300 & echo $! > child.pid", Map.of(), Map.of()), 1)
        .get(0);
    assertEquals(Optional.of(0), awaitDone(id).exitCode());
    long child = childPid(id);
    await(Duration.ofSeconds(10), "orphan " + child + " killed",
        () -> !alive(child));
  }

  @Test
  void closeLeavesNoProcessBehind() throws Exception {
    List<PilotId> ids = submitter.submit(spec("sleep 300 & echo $! > child.pid; wait",
        Map.of(), Map.of()), 3);
    await(Duration.ofSeconds(10), "child pids written",
        () -> ids.stream().allMatch(i -> Files.exists(sandbox(i).resolve("child.pid"))));
    List<Long> pids = new java.util.ArrayList<>();
    for (PilotId id : ids) {
      pids.add(childPid(id));
      pids.add(Long.parseLong(Files.readString(sandbox(id).resolve("pilot.pid")).split(" ")[0]));
    }

    submitter.close();

    for (long pid : pids) {
      assertFalse(alive(pid),
          "process " + pid + " still alive after close");
    }
  }

  @Test
  void submitThatCannotMakeASandboxNamesQueueAndPlace() throws Exception {
    Path notADirectory = Files.createFile(root.resolve("file"));
    PilotSpec bad = new PilotSpec("c1.workers.alice.site", List.of("/bin/true"),
        Map.of(), Map.of(), notADirectory);
    SubmitException e = org.junit.jupiter.api.Assertions.assertThrows(SubmitException.class,
        () -> submitter.submit(bad, 2));
    assertTrue(e.getMessage().contains("c1.workers.alice.site"), e.getMessage());
    assertTrue(e.getMessage().contains(notADirectory.toString()), e.getMessage());
    assertEquals(List.of(), e.started());
  }

  @Test
  void killOrderChoosesNewestOrOldestLivePilots() {
    java.time.Instant t = java.time.Instant.parse("2026-01-01T00:00:00Z");
    PilotId a = new PilotId("q", "a");
    PilotId b = new PilotId("q", "b");
    PilotId c = new PilotId("q", "c");
    PilotId d = new PilotId("q", "d");
    Map<PilotId, PilotInfo> pilots = Map.of(
        a, PilotInfo.running(t),
        b, PilotInfo.running(t.plusSeconds(1)),
        c, PilotInfo.running(t.plusSeconds(2)),
        d, PilotInfo.done(t.plusSeconds(3), 0, "exited 0"));
    assertEquals(List.of(c, b), KillOrder.NEWEST.choose(pilots, 2));
    assertEquals(List.of(a, b), KillOrder.of("oldest").choose(pilots, 2));
    assertEquals(List.of(c, b, a), KillOrder.NEWEST.choose(pilots, 10));
  }

  /** Alive and not a zombie (killed orphans wait to be reaped by pid 1). */
  private static boolean alive(long pid) {
    return ProcessGroups.startTime(pid).isPresent();
  }

  private long childPid(PilotId id) throws Exception {
    return Long.parseLong(Files.readString(sandbox(id).resolve("child.pid")).trim());
  }
}
