package org.vacuum.it.slurm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.batch.ssh.SshRemote;
import org.vacuum.it.ssh.TestSshd;
import org.vacuum.batch.submit.KillOrder;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.batch.submit.SlurmSubmitter;
import org.vacuum.batch.submit.SshResource;

/**
 * The {@code ssh}/{@code slurm} submitter end to end: a real single-node Slurm ({@link TestSlurm})
 * reached through a real sshd ({@link TestSshd}) with an allocation's key. Pilots become jobs named
 * after their queue, status follows squeue, retiring the newest cancels exactly its job, and an
 * exit status comes back through the sandbox.
 */
class SlurmSubmitterTest {

  private static final Duration DEADLINE = Duration.ofSeconds(60);

  private static TestSshd sshd;
  private static TestSlurm slurm;
  private static SshRemote ssh;
  private static Path scratch;
  private static String root;
  private static SlurmSubmitter submitter;

  @BeforeAll
  static void start() throws IOException {
    Optional<String> skip = TestSshd.skipReason().or(TestSlurm::skipReason);
    if (skip.isPresent()) {
      System.out.println("SlurmSubmitterTest skipped: " + skip.get());
      Assumptions.abort(skip.get());
    }
    slurm = TestSlurm.start();
    System.out.println("SlurmSubmitterTest: Slurm idle " + slurm.startTime().toMillis() + " ms after start");
    sshd = TestSshd.start();
    SshKeys keys = SshKeys.generate("alice.slurm-resource");
    sshd.authorize(keys.publicKeyLine());
    ssh = new SshRemote();
    scratch = Files.createTempDirectory("vacuum-slurm-scratch-");
    root = SshResource.sandboxRoot(scratch.toString());
    SshResource resource = SshResource.of(sshd.host(), sshd.port(), TestSshd.user(), keys.privtoken());
    submitter = new SlurmSubmitter(ssh, resource,
        SlurmSubmitter.Settings.of(root).withBatchEnvironment(slurm.environment()).withResources(1, 100),
        Clock.systemUTC());
  }

  @AfterAll
  static void stop() throws IOException {
    try {
      if (slurm != null) {
        assertEquals("", slurm.squeue("-o", "%i %j %T"), "the tests leave no job behind");
      }
    } finally {
      if (submitter != null) submitter.close();
      if (ssh != null) ssh.close();
      if (sshd != null) sshd.close();
      if (slurm != null) slurm.close();
      if (scratch != null) deleteTree(scratch);
    }
  }

  @Test
  void twoPilotsRunAsJobsOfTheQueueAndRetiringTheNewestCancelsOnlyItsJob() throws IOException {
    String queue = "vc1.workers.alice.slurm";
    String script = "[ \"$GREETING\" = hello ] || exit 7\n"
        + "[ \"$(cat conf/input.txt)\" = staged ] || exit 8\n"
        + "echo \"ok $VACUUM_PILOT_ID\"\n"
        + "exec sleep 300\n";
    PilotSpec spec = new PilotSpec(queue, List.of("/bin/sh", "pilot.sh"), Map.of("GREETING", "hello"),
        Map.of("pilot.sh", bytes(script), "conf/input.txt", bytes("staged\n")), Path.of(root));

    long t0 = System.nanoTime();
    List<PilotId> ids = submitter.submit(spec, 2);
    long submitted = System.nanoTime();
    assertEquals(2, ids.size());
    await("both pilots running", () -> {
      Map<PilotId, PilotInfo> s = submitter.status(queue);
      return s.size() == 2 && s.values().stream().allMatch(p -> p.state() == PilotState.RUNNING);
    }, () -> submitter.status(queue) + "\n" + squeue());
    List<String> jobs = ids.stream().map(SlurmSubmitterTest::jobId).toList();
    assertEquals(List.of(jobs.get(0) + " " + queue + " RUNNING", jobs.get(1) + " " + queue + " RUNNING"),
        lines(slurm.squeue("-n", queue, "-o", "%i %j %T", "--sort=i")));
    for (PilotId id : ids) {
      Path out = sandbox(id).resolve("stdout");
      await(id + " checked its file and variable", () -> read(out).contains("ok " + id.name()),
          () -> read(out) + read(sandbox(id).resolve("stderr")));
    }

    List<String> chosen = KillOrder.NEWEST.choose(submitter.status(queue), 1).stream().map(PilotId::name).toList();
    assertEquals(List.of(ids.get(1).name()), chosen);

    long t1 = System.nanoTime();
    submitter.status(queue);
    long t2 = System.nanoTime();
    submitter.retire(List.of(ids.get(1)));
    System.out.printf("%s: submit of 2 pilots %d ms, status %d ms, retire of 1 %d ms%n", getClass().getSimpleName(),
        (submitted - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);

    assertEquals(List.of(jobs.get(0)), lines(slurm.squeue("-n", queue, "-o", "%i")),
        "retire returns when the job has left squeue");
    Map<PilotId, PilotInfo> s = submitter.status(queue);
    assertEquals(PilotState.DONE, s.get(ids.get(1)).state(), s.toString());
    assertEquals(Optional.of("retired"), s.get(ids.get(1)).reason());
    assertEquals(PilotState.RUNNING, s.get(ids.get(0)).state(), s.toString());

    submitter.retire(List.of(ids.get(0)));
    assertEquals(List.of(), lines(slurm.squeue("-n", queue, "-o", "%i")));
    assertTrue(submitter.status(queue).values().stream().allMatch(PilotInfo::isDone));
  }

  @Test
  void aPilotThatExitsThreeIsDoneWithExitCodeThree() {
    String queue = "vc1.exit.alice.slurm";
    PilotSpec spec = new PilotSpec(queue, List.of("/bin/sh", "-c", "exit 3"), Map.of(), Map.of(), Path.of(root));
    PilotId id = submitter.submit(spec, 1).get(0);
    await(id + " done", () -> submitter.status(queue).get(id).isDone(),
        () -> submitter.status(queue) + "\n" + squeue());
    PilotInfo info = submitter.status(queue).get(id);
    assertEquals(Optional.of(3), info.exitCode(), info.toString());
    assertEquals(Optional.of("exited 3"), info.reason());
    assertFalse(info.submitted().isAfter(Instant.now()));
  }

  private static String jobId(PilotId id) {
    return read(sandbox(id).resolve(".vacuum/jobid")).strip();
  }

  private static Path sandbox(PilotId id) {
    return Path.of(root, id.queue(), id.name());
  }

  private static List<String> lines(String text) {
    return Arrays.stream(text.split("\n")).map(String::strip).filter(l -> !l.isEmpty()).toList();
  }

  private static String squeue() {
    try {
      return "squeue: " + slurm.squeue("-t", "all", "-o", "%i %j %T %r");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String read(Path file) {
    try {
      return Files.exists(file) ? Files.readString(file) : "";
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e.getMessage() + ")";
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static void await(String what, BooleanSupplier condition, Supplier<String> state) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) fail("no " + what + " within " + DEADLINE + ": " + state.get());
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        fail("interrupted waiting for " + what);
      }
    }
  }

  private static void deleteTree(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
    } catch (IOException e) {
      // Best effort: a leftover directory in /tmp harms nothing.
    }
  }
}
