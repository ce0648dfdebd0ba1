package org.vacuum.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vacuum.space.SpaceFixtures.NOW;
import static org.vacuum.space.SpaceFixtures.conf;
import static org.vacuum.space.SpaceFixtures.reply;
import static org.vacuum.space.SpaceFixtures.type;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.space.CreationPlan.Inputs;
import org.vacuum.space.CreationPlan.Occupied;

/** One decision fills several free slots, re-checking the gate and re-scoring after each choice. */
class CreationPlanTest {

  private static final Instant AT = Instant.ofEpochSecond(NOW);

  private static CreationPlan.Plan plan(VacConf conf, List<MachinetypeStatus> space, List<Occupied> own,
      int freeSlots, int total) {
    return CreationPlan.decide(new Inputs(conf, space, own, freeSlots, total, 0.1, 64, false), AT,
        new SplittableRandom(11));
  }

  private static String types(CreationPlan.Plan plan) {
    return String.join(",", plan.creations().stream().map(SuperslotFill.Creation::machinetype).sorted().toList());
  }

  @ParameterizedTest(name = "{0} free slots, total_processors {1} -> {2}, stopped: {3}")
  @CsvSource(delimiter = '|', value = {
      "6 | 6 | a,a,a,a,b,b | no free slot",
      "3 | 6 | a,a,b       | no free slot",
      "6 | 3 | a,a,b       | 3 processors in use of total_processors 3",
      "0 | 6 |             | no free slot",
  })
  void freeSlotsAreFilledInOneDecisionBySharesUntilSlotsOrProcessorsRunOut(int freeSlots, int total,
      String expected, String stopped) {
    VacConf conf = conf("overload_per_processor = 100\n" + type("a", 2) + type("b", 1));
    CreationPlan.Plan plan = plan(conf, List.of(), List.of(), freeSlots, total);
    assertEquals(expected == null ? "" : expected, types(plan));
    assertEquals(stopped, plan.stopped());
  }

  @Test
  void theSpacesMachinesCountSoThisFactoryMakesUpForTheOthers() {
    VacConf conf = conf(type("a", 1) + type("b", 1));
    // Elsewhere in the space: 5 a and 1 b. Here 4 slots: b first until it catches up.
    CreationPlan.Plan plan = plan(conf, List.of(reply("f2", "a", 5, 0, null, null),
        reply("f3", "b", 1, 0, null, null)), List.of(), 4, 4);
    assertEquals("b,b,b,b", types(plan));
  }

  @Test
  void aTypeBackingOffIsSkippedAndItsRestartIsReported() {
    VacConf conf = conf(type("a", 10, "backoff_seconds = 30") + type("b", 1));
    CreationPlan.Plan plan = plan(conf, List.of(reply("f2", "a", 0, 0, "300 Nothing to do", NOW - 10)),
        List.of(), 2, 2);
    assertEquals("b,b", types(plan));
    assertEquals(Optional.of(Instant.ofEpochSecond(NOW + 20)), plan.nextRestart());
    assertTrue(plan.standings().contains("backing off"), plan.standings());
  }

  @Test
  void nothingEligibleSaysSo() {
    VacConf conf = conf(type("a", 1, "backoff_seconds = 30"));
    CreationPlan.Plan plan = plan(conf, List.of(reply("f2", "a", 0, 0, "400 Banned", NOW)), List.of(), 2, 2);
    assertEquals(List.of(), plan.creations());
    assertEquals("no machinetype eligible", plan.stopped());
  }

  @Test
  void singlesFillOneSuperslotTogetherSoAnEightProcessorMachineFollows() {
    VacConf conf = conf("processors_per_superslot = 8\n" + type("single", 1, "max_wallclock_seconds = 600")
        + type("multi", 1, "min_processors = 8", "max_processors = 8", "max_wallclock_seconds = 600"));
    // A single is already running here: the superslot it opened is filled by singles ending with it.
    CreationPlan.Plan plan = plan(conf, List.of(reply("f1", "single", 1, 0, null, null)),
        List.of(new Occupied("single", 1, NOW + 600)), 16, 8);
    assertEquals("single,single,single,single,single,single,single", types(plan));
    assertTrue(plan.creations().stream().allMatch(c -> c.shutdownTime() == NOW + 600 && c.processors() == 1));
    assertEquals("8 processors in use of total_processors 8", plan.stopped());

    // When that superslot has ended, the eight processors go to the starved 8-processor type.
    CreationPlan.Plan next = plan(conf, List.of(reply("f1", "single", 0, 0, null, null),
        reply("f2", "single", 8, 0, null, null)), List.of(), 16, 8);
    assertEquals(List.of(new SuperslotFill.Creation("multi", 8, NOW + 600, "starts a new superslot")),
        next.creations());
  }
}
