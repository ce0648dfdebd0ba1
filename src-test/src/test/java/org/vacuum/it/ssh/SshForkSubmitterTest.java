package org.vacuum.it.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
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
import org.vacuum.batch.submit.KillOrder;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.batch.submit.SshForkSubmitter;
import org.vacuum.batch.submit.SshResource;

/**
 * The {@code ssh}/{@code fork} submitter end to end against a real OpenSSH sshd ({@link TestSshd}):
 * pilots start in their sandboxes with staged files and environment, status follows them, retiring
 * one ends its whole process tree, and an exit status comes back.
 */
class SshForkSubmitterTest {

  private static final Duration DEADLINE = Duration.ofSeconds(30);

  private static TestSshd sshd;
  private static SshRemote ssh;
  private static Path scratch;
  private static SshForkSubmitter submitter;
  private static String root;

  @BeforeAll
  static void start() throws IOException {
    Optional<String> skip = TestSshd.skipReason();
    if (skip.isPresent()) {
      System.out.println("SshForkSubmitterTest skipped: " + skip.get());
      Assumptions.abort(skip.get());
    }
    sshd = TestSshd.start();
    SshKeys keys = SshKeys.generate("alice.fork-resource");
    sshd.authorize(keys.publicKeyLine());
    ssh = new SshRemote();
    scratch = Files.createTempDirectory("vacuum-fork-scratch-");
    root = SshResource.sandboxRoot(scratch.toString());
    SshResource resource = SshResource.of(sshd.host(), sshd.port(), TestSshd.user(), keys.privtoken());
    submitter = new SshForkSubmitter(ssh, resource,
        new SshForkSubmitter.Settings(root, Duration.ofSeconds(5), Duration.ofHours(1), Duration.ofDays(1)),
        Clock.systemUTC());
  }

  @AfterAll
  static void stop() {
    if (submitter != null) submitter.close();
    if (ssh != null) ssh.close();
    if (sshd != null) sshd.close();
    if (scratch != null) deleteTree(scratch);
  }

  @Test
  void twoPilotsRunAndRetiringTheNewestEndsItsWholeProcessTree() throws IOException {
    String queue = "vc1.workers.alice.fork";
    // The pilot checks its staged file and variable, then leaves two children behind it.
    String script = "[ \"$GREETING\" = hello ] || exit 7\n"
        + "[ \"$(cat conf/input.txt)\" = staged ] || exit 8\n"
        + "echo \"ok $VACUUM_PILOT_ID\"\n"
        + "sleep 300 & sleep 300 & wait\n";
    PilotSpec spec = new PilotSpec(queue, List.of("/bin/sh", "pilot.sh"), Map.of("GREETING", "hello"),
        Map.of("pilot.sh", bytes(script), "conf/input.txt", bytes("staged\n")), Path.of(root));

    long t0 = System.nanoTime();
    List<PilotId> ids = submitter.submit(spec, 2);
    long submitted = System.nanoTime();
    assertEquals(2, ids.size());
    await("both pilots running", () -> {
      Map<PilotId, PilotInfo> s = submitter.status(queue);
      return s.size() == 2 && s.values().stream().allMatch(p -> p.state() == PilotState.RUNNING);
    }, () -> submitter.status(queue).toString());
    for (PilotId id : ids) {
      Path out = sandbox(id).resolve("stdout");
      await(id + " checked its file and variable", () -> read(out).contains("ok " + id.name()),
          () -> read(out) + read(sandbox(id).resolve("stderr")));
      await(id + " has its tree of four processes (wrapper, pilot, two children)", () -> processesIn(sandbox(id)).size() == 4,
          () -> processesIn(sandbox(id)).toString());
    }

    List<String> chosen = KillOrder.NEWEST.choose(submitter.status(queue), 1).stream().map(PilotId::name).toList();
    assertEquals(List.of(ids.get(1).name()), chosen);
    PilotId victim = ids.get(1);

    long t1 = System.nanoTime();
    submitter.status(queue);
    long t2 = System.nanoTime();
    submitter.retire(List.of(victim));
    System.out.printf("%s: submit of 2 pilots %d ms, status %d ms, retire of 1 %d ms%n", getClass().getSimpleName(),
        (submitted - t0) / 1_000_000, (t2 - t1) / 1_000_000, (System.nanoTime() - t2) / 1_000_000);

    assertEquals(List.of(), processesIn(sandbox(victim)), "retire returns when the tree is gone");
    assertEquals(4, processesIn(sandbox(ids.get(0))).size(), "the other pilot is untouched");
    Map<PilotId, PilotInfo> s = submitter.status(queue);
    assertEquals(PilotState.DONE, s.get(victim).state(), s.toString());
    assertEquals(Optional.of("retired"), s.get(victim).reason());
    assertEquals(PilotState.RUNNING, s.get(ids.get(0)).state(), s.toString());

    submitter.retire(List.of(ids.get(0)));
    assertEquals(List.of(), processesIn(sandbox(ids.get(0))));
    assertTrue(submitter.status(queue).values().stream().allMatch(PilotInfo::isDone));
  }

  @Test
  void aPilotThatExitsThreeIsDoneWithExitCodeThree() {
    String queue = "vc1.exit.alice.fork";
    PilotSpec spec = new PilotSpec(queue, List.of("/bin/sh", "-c", "exit 3"), Map.of(), Map.of(), Path.of(root));
    PilotId id = submitter.submit(spec, 1).get(0);
    await(id + " done", () -> submitter.status(queue).get(id).isDone(), () -> submitter.status(queue).toString());
    PilotInfo info = submitter.status(queue).get(id);
    assertEquals(Optional.of(3), info.exitCode());
    assertEquals(Optional.of("exited 3"), info.reason());
    assertFalse(info.submitted().isAfter(Instant.now()));
  }

  private static Path sandbox(PilotId id) {
    return Path.of(root, id.queue(), id.name());
  }

  /** Live processes (zombies aside) whose working directory is {@code dir}, as the host sees them. */
  private static List<Long> processesIn(Path dir) {
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+"))
          .filter(p -> {
            try {
              String stat = Files.readString(p.resolve("stat"));
              return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")
                  && Files.readSymbolicLink(p.resolve("cwd")).equals(dir);
            } catch (IOException | RuntimeException e) {
              return false;
            }
          })
          .map(p -> Long.parseLong(p.getFileName().toString())).sorted().toList();
    } catch (IOException e) {
      throw new IllegalStateException("cannot list /proc", e);
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
        Thread.sleep(50);
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
