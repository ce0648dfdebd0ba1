package org.vacuum.it.space;

import org.vacuum.protocol.slot.SlotProtocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.it.TestNodes;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotProtocol.Destroy;
import org.vacuum.slot.Slot;
import org.vacuum.space.Census;

/**
 * Vac's creation decision across a space of three factories (three nodes in one JVM, each its own
 * {@code test:///default}): target shares are met in processor-time, an abort anywhere holds a
 * machinetype back everywhere for {@code backoff_seconds}, and superslots make room for
 * 8-processor machines. Machines end by short wallclocks, so factories decide again and again.
 */
class SpaceDecisionTest {

  @TempDir Path dir;

  @Test
  void processorTimeOfFinishedMachinesConvergesToTheTargetShares() throws Exception {
    // Both types live equally long: with machines of seconds, a wrong choice made on a stale census
    // lasts as long as the machine, so unequal wallclocks would bias the result towards the longer
    // type, which is a property of the test's tiny lifetimes, not of the shares. A machine holds its
    // processors from creation (Vac counts a starting machine in running_hs06) to its end, so
    // processor-time is counted over the whole of it.
    try (SpaceNodes space = SpaceNodes.start(dir, "sh", 8, "", """
        [machinetype alice]
        target_share = 2
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        max_wallclock_seconds = 3
        fizzle_seconds = 0

        [machinetype bob]
        target_share = 1
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        max_wallclock_seconds = 3
        fizzle_seconds = 0
        """)) {
      // Nodes start one after another on a busy machine: count from when all three create, over
      // 20 s (some 80 machines), each machine's processor-time clipped to that window.
      TestNodes.await(Duration.ofSeconds(60), "all three factories creating for 20 s",
          () -> allCreatingSince(space).map(t -> t.plusSeconds(20).isBefore(Instant.now())).orElse(false));
      Instant from = allCreatingSince(space).orElseThrow();
      Instant to = from.plusSeconds(20);
      List<SpaceNodes.Machine> machines = all(space);
      double alice = processorSeconds(machines, "alice", from, to);
      double bob = processorSeconds(machines, "bob", from, to);
      double ratio = alice / bob;
      long ended = machines.stream().filter(m -> m.finishedAt() != null && m.finishedAt().isBefore(to)
          && m.finishedAt().isAfter(from)).count();
      assertTrue(ended >= 40, ended + " machines ended in the window");
      assertTrue(Math.abs(ratio - 2.0) <= 0.2, "alice:bob processor-seconds " + Math.round(alice) + ":"
          + Math.round(bob) + " = " + ratio + ", not 2:1 within 10 %");
    }
  }

  @Test
  void anAbortOnOneFactoryHoldsTheMachinetypeBackOnAllForBackoffSecondsThenCreationResumes() throws Exception {
    int backoff = 20;
    try (SpaceNodes space = SpaceNodes.start(dir, "bo", 3, "", """
        [machinetype alice]
        target_share = 1
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        max_wallclock_seconds = 8
        backoff_seconds = %d
        fizzle_seconds = 0

        [machinetype bob]
        target_share = 1
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        max_wallclock_seconds = 3
        fizzle_seconds = 0
        """.formatted(backoff))) {
      String f1 = space.factory(1);
      // Alice runs for 8 s: long enough to be still running when picked after the drain below.
      TestNodes.await(Duration.ofSeconds(30), "a new alice machine runs on " + f1,
          () -> running(space, f1, "alice").map(m -> m.createdTime() >= Instant.now().getEpochSecond() - 2)
              .orElse(false));
      // f1 stops creating. Vac reports the outcome of a type's most recently created finished
      // machine only, so every alice machine on f1 says there is no work and ends: whichever was
      // created last, its outcome is the abort, and no later alice finish on f1 can hide it.
      var drain = TestNodes.post(space.node(1), "/api/v1/factories/" + f1 + "/drain", "{\"reason\":\"test\"}");
      assertEquals(200, drain.statusCode(), drain.body());
      TestNodes.await(Duration.ofSeconds(15), "no alice machine is still starting on " + f1,
          () -> machines(space, f1, "alice", MachineStatus.STARTING).isEmpty());
      List<MachineStatus> aborting = machines(space, f1, "alice", MachineStatus.RUNNING);
      assertTrue(!aborting.isEmpty(), "no alice running on " + f1);
      for (MachineStatus m : aborting) {
        ClusterSharding.get(space.node(1).system()).entityRefFor(SlotProtocol.ENTITY_KEY, m.machine())
            .<MachineStatus>askWithStatus(r -> new Destroy("no work", "300 No more work", r), Duration.ofSeconds(10))
            .toCompletableFuture().get();
      }
      Instant visible = Instant.now();
      MachinetypeStatus outcome = f1Alice(space);
      assertEquals("300 No more work", outcome.shutdownMessage(), outcome.toString());
      Instant restart = Instant.ofEpochSecond(outcome.shutdownTime() + backoff);

      TestNodes.await(Duration.ofSeconds(backoff + 20), "alice is created again after the backoff",
          () -> all(space).stream().anyMatch(m -> m.machinetype().equals("alice")
              && m.createdAt().isAfter(restart)));
      // A decision whose census left before the abort was visible cannot know of it: on a busy
      // machine its census may wait a whole round (udp_timeout_seconds / 5 = 6 s, see SpaceNodes)
      // before it creates. From then on, until the backoff ends, no factory may create alice.
      Instant quiet = visible.plusSeconds(7);
      List<SpaceNodes.Machine> during = all(space).stream()
          .filter(m -> m.machinetype().equals("alice") && m.createdAt().isAfter(quiet)
              && !m.createdAt().isAfter(restart))
          .toList();
      assertEquals(List.of(), during, "alice created during its backoff (until " + restart + ")");
      assertTrue(all(space).stream().anyMatch(m -> m.machinetype().equals("bob") && m.createdAt().isAfter(quiet)
          && m.createdAt().isBefore(restart)), "bob kept being created meanwhile");
    }
  }

  @Test
  void superslotsGroupSingleProcessorMachinesSoEightProcessorMachinesStart() throws Exception {
    try (SpaceNodes space = SpaceNodes.start(dir, "ss", 8, "processors_per_superslot = 8", """
        [machinetype single]
        target_share = 1
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        max_processors = 1
        max_wallclock_seconds = 3
        min_wallclock_seconds = 1
        fizzle_seconds = 0

        [machinetype multi]
        target_share = 1
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        min_processors = 8
        max_processors = 8
        max_wallclock_seconds = 3
        fizzle_seconds = 0
        """)) {
      TestNodes.await(Duration.ofSeconds(40), "8-processor machines and singles both created, twice over",
          () -> {
            List<SpaceNodes.Machine> all = all(space);
            return all.stream().filter(m -> m.machinetype().equals("multi")).count() >= 2
                && all.stream().filter(m -> m.machinetype().equals("single")).count() >= 8;
          });
      List<SpaceNodes.Machine> all = all(space);
      assertTrue(all.stream().filter(m -> m.machinetype().equals("multi")).allMatch(m -> m.processors() == 8),
          all.toString());
      assertTrue(all.stream().filter(m -> m.machinetype().equals("single")).allMatch(m -> m.processors() == 1),
          all.toString());
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static List<SpaceNodes.Machine> all(SpaceNodes space) {
    try {
      return space.machines();
    } catch (Exception e) {
      throw new AssertionError("reading the slots' journals: " + e, e);
    }
  }

  /** When the last of the three factories created its first machine, once all have. */
  private static Optional<Instant> allCreatingSince(SpaceNodes space) {
    List<SpaceNodes.Machine> all = all(space);
    Instant since = Instant.MIN;
    for (int i = 1; i <= 3; i++) {
      String factory = space.factory(i);
      Optional<Instant> first = all.stream().filter(m -> m.factory().equals(factory)).map(SpaceNodes.Machine::createdAt)
          .min(Instant::compareTo);
      if (first.isEmpty()) {
        return Optional.empty();
      }
      since = first.get().isAfter(since) ? first.get() : since;
    }
    return Optional.of(since);
  }

  /** Processors × the part of [from, to] each machine of that type held them (creation to end). */
  private static double processorSeconds(List<SpaceNodes.Machine> machines, String machinetype, Instant from,
      Instant to) {
    double sum = 0;
    for (SpaceNodes.Machine m : machines) {
      if (!m.machinetype().equals(machinetype)) {
        continue;
      }
      Instant start = m.createdAt().isAfter(from) ? m.createdAt() : from;
      Instant end = m.finishedAt() == null || m.finishedAt().isAfter(to) ? to : m.finishedAt();
      if (end.isAfter(start)) {
        sum += m.processors() * Duration.between(start, end).toMillis() / 1000.0;
      }
    }
    return sum;
  }

  /** The most recently created running machine of that type on that factory. */
  private static Optional<MachineStatus> running(SpaceNodes space, String factory, String machinetype) {
    return machines(space, factory, machinetype, MachineStatus.RUNNING).stream()
        .max(java.util.Comparator.comparing(MachineStatus::createdTime));
  }

  /** The machines of {@code machinetype} on {@code factory} in {@code state}, from a machines census. */
  private static List<MachineStatus> machines(SpaceNodes space, String factory, String machinetype, String state) {
    try {
      return space.census().stream()
          .filter(m -> factory.equals(m.factory()) && machinetype.equals(m.machinetype()) && state.equals(m.state()))
          .toList();
    } catch (Exception e) {
      throw new AssertionError("machines census: " + e, e);
    }
  }

  private static MachinetypeStatus f1Alice(SpaceNodes space) throws Exception {
    var any = space.node(2);
    return Census.machinetypes(any.system(), any.settings(), Duration.ofSeconds(5)).toCompletableFuture().get()
        .machinetypes().stream()
        .filter(m -> m.factory().equals(space.factory(1)) && m.machinetype().equals("alice"))
        .findFirst().orElseThrow(() -> new AssertionError("no alice reply from " + space.factory(1)));
  }
}
