package org.vacuum.it.workqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.batch.submit.KillOrder;
import org.vacuum.batch.submit.LocalSubmitter;
import org.vacuum.batch.submit.PilotBootstrap;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.batch.headnode.WorkQueueManager;
import org.vacuum.batch.headnode.WorkQueueStatus;

/**
 * A real Work Queue virtual cluster on this host: a manager from cctools' Python binding and three
 * {@code work_queue_worker} pilots started by {@link LocalSubmitter} from {@link PilotBootstrap}'s
 * script. Needs Debian's {@code coop-computing-tools} and {@code python3-workqueue} (.ci/run
 * installs them); skips with the reason otherwise.
 */
class WorkQueuePilotsTest {

  private static final String QUEUE = "vc1.workers.alice.local";
  private static final byte[] PASSWORD = "s3cret-of-vc1".getBytes(StandardCharsets.UTF_8);

  @TempDir Path root;

  @BeforeAll
  static void needsCctools() throws Exception {
    String reason = null;
    if (!Files.isExecutable(Path.of("/usr/bin/work_queue_worker"))) {
      reason = "/usr/bin/work_queue_worker is missing (Debian package coop-computing-tools)";
    } else {
      Process probe = new ProcessBuilder("/usr/bin/python3", "-c", "import work_queue")
          .redirectErrorStream(true).start();
      String out = new String(probe.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (probe.waitFor() != 0) {
        reason = "/usr/bin/python3 cannot import work_queue (Debian package python3-workqueue): "
            + out.trim();
      }
    }
    if (reason != null) {
      System.out.println("WorkQueuePilotsTest skipped: " + reason);
    }
    Assumptions.assumeTrue(reason == null, reason);
  }

  @Test
  void threeWorkerPilotsJoinRunATaskAndTheTwoNewestAreRetired() throws Exception {
    WorkQueueManager manager =
        WorkQueueManager.start(WorkQueueManager.Settings.local(root.resolve("manager"), "vc1",
            PASSWORD));
    long managerPid = manager.pid();
    LocalSubmitter submitter =
        new LocalSubmitter(Duration.ofSeconds(5), Duration.ofHours(1), Clock.systemUTC());
    List<Long> pilotPids = new ArrayList<>();
    try {
      PilotBootstrap.Environment cctools = new PilotBootstrap.Environment("wq-env",
          Map.of("VC3_EXAMPLE", "1"), Map.of(), List.of("cctools"), Optional.empty(), List.of(),
          Optional.empty());
      PilotSpec spec = PilotBootstrap.build(QUEUE, root.resolve("pilots"), List.of(cctools),
          new PilotBootstrap.WorkQueueWorker(manager.host(), manager.port(), manager.project(),
              Optional.empty(), PASSWORD, 1, 256, 512, OptionalInt.of(600)));

      long start = System.nanoTime();
      List<PilotId> pilots = submitter.submit(spec, 3);
      await(Duration.ofSeconds(60), "3 workers connected to the manager",
          () -> manager.status().workersConnected() == 3);
      System.out.printf("WorkQueuePilotsTest: 3 workers connected %d ms after submission%n",
          Duration.ofNanos(System.nanoTime() - start).toMillis());
      for (PilotId id : pilots) {
        pilotPids.add(Long.parseLong(Files.readString(
            root.resolve("pilots").resolve(QUEUE).resolve(id.name()).resolve("pilot.pid"))
            .split(" ")[0]));
      }

      // A real task through the workers.
      manager.submitTask("hello", "echo hello from $(hostname)");
      await(Duration.ofSeconds(30), "task hello finished", () -> manager.status().finished()
          .stream().anyMatch(t -> t.tag().equals("hello")));
      WorkQueueStatus.FinishedTask hello = manager.status().finished().stream()
          .filter(t -> t.tag().equals("hello")).findFirst().orElseThrow();
      assertEquals(0, hello.result(), hello.toString());
      assertEquals(0, hello.exitStatus(), hello.toString());
      assertTrue(hello.output().startsWith("hello from "), hello.output());

      Map<PilotId, PilotInfo> before = submitter.status(QUEUE);
      List<PilotId> newest = KillOrder.NEWEST.choose(before, 2);
      assertEquals(List.of(pilots.get(2), pilots.get(1)), newest);

      submitter.retire(newest);

      Map<PilotId, PilotInfo> after = submitter.status(QUEUE);
      assertEquals(PilotState.RUNNING, after.get(pilots.get(0)).state());
      for (PilotId gone : newest) {
        assertEquals(PilotState.DONE, after.get(gone).state(), gone.toString());
        assertEquals(Optional.of("retired"), after.get(gone).reason());
      }
      assertTrue(alive(pilotPids.get(0)));
      assertFalse(alive(pilotPids.get(1)));
      assertFalse(alive(pilotPids.get(2)));
      await(Duration.ofSeconds(30), "manager reports 1 worker",
          () -> manager.status().workersConnected() == 1);
    } finally {
      submitter.close();
      manager.stop();
    }

    List<Long> everything = new ArrayList<>(pilotPids);
    everything.add(managerPid);
    for (long pid : everything) {
      assertFalse(alive(pid), "process " + pid + " survives close and stop");
    }
    List<String> left = ProcessHandle.allProcesses()
        .filter(h -> alive(h.pid()))
        .map(h -> h.pid() + " " + h.info().commandLine().orElse(""))
        .filter(c -> c.contains("work_queue_worker") || c.contains("vacuum-wq-manager"))
        .filter(c -> c.contains(root.toString()) || cwdUnder(Long.parseLong(c.split(" ")[0])))
        .toList();
    assertEquals(List.of(), left, "work queue processes left behind");
  }

  /** Alive and not a zombie. */
  private static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return !stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z");
    } catch (Exception gone) {
      return false;
    }
  }

  private boolean cwdUnder(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/" + pid + "/cwd")).startsWith(root);
    } catch (Exception gone) {
      return false;
    }
  }

  private static void await(Duration limit, String what, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }
}
