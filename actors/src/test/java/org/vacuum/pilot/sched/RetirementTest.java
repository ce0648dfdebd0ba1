package org.vacuum.pilot.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.vacuum.pilot.sched.Retirement.KillOrder;
import org.vacuum.pilot.sched.Retirement.Pilot;
import org.vacuum.pilot.sched.Retirement.PilotState;

class RetirementTest {

  private static final Instant T0 = Instant.parse("2024-05-01T12:00:00Z");

  // Listed out of order on purpose: the choice must not depend on the listing.
  private static final List<Pilot> PILOTS = List.of(
      new Pilot("7.0", T0.plusSeconds(60), PilotState.RUNNING),
      new Pilot("5.0", T0, PilotState.RUNNING),
      new Pilot("9.0", T0.plusSeconds(120), PilotState.IDLE),
      new Pilot("8.0", T0.plusSeconds(90), PilotState.RUNNING));

  private static List<String> ids(List<Pilot> pilots) {
    return pilots.stream().map(Pilot::id).toList();
  }

  @Test
  void newestRetiresTheMostRecentlySubmittedFirst() {
    assertEquals(List.of("9.0", "8.0"), ids(Retirement.choose(PILOTS, -2, KillOrder.NEWEST, false)));
  }

  @Test
  void oldestRetiresTheEarliestSubmittedFirst() {
    assertEquals(List.of("5.0", "7.0"), ids(Retirement.choose(PILOTS, -2, KillOrder.OLDEST, false)));
  }

  @Test
  void idlePilotsHaveNoPreference() {
    // 9.0 is the only idle pilot; oldest order still takes running ones first.
    assertEquals(List.of("5.0", "7.0", "8.0"), ids(Retirement.choose(PILOTS, -3, KillOrder.OLDEST, false)));
  }

  @Test
  void peacefulRetiresNone() {
    assertEquals(List.of(), Retirement.choose(PILOTS, -2, KillOrder.NEWEST, true));
  }

  @Test
  void nothingToRetireUnlessNegative() {
    assertEquals(List.of(), Retirement.choose(PILOTS, 0, KillOrder.NEWEST, false));
    assertEquals(List.of(), Retirement.choose(PILOTS, 3, KillOrder.NEWEST, false));
  }

  @Test
  void moreThanThereAreRetiresAll() {
    assertEquals(4, Retirement.choose(PILOTS, -10, KillOrder.NEWEST, false).size());
    assertEquals(List.of(), Retirement.choose(List.of(), Integer.MIN_VALUE, KillOrder.NEWEST, false));
  }

  @Test
  void sameQdateOrdersByNumericBatchId() {
    List<Pilot> sameTime = List.of(
        new Pilot("12.9", T0, PilotState.IDLE),
        new Pilot("12.10", T0, PilotState.IDLE),
        new Pilot("12.2", T0, PilotState.IDLE));
    assertEquals(List.of("12.10"), ids(Retirement.choose(sameTime, -1, KillOrder.NEWEST, false)));
    assertEquals(List.of("12.2"), ids(Retirement.choose(sameTime, -1, KillOrder.OLDEST, false)));
  }

  @Test
  void killorderParsesApfValuesAndDefaultsToNewest() {
    assertEquals(KillOrder.NEWEST, KillOrder.parse(null));
    assertEquals(KillOrder.NEWEST, KillOrder.parse("newest"));
    assertEquals(KillOrder.OLDEST, KillOrder.parse(" Oldest "));
    assertThrows(IllegalArgumentException.class, () -> KillOrder.parse("random"));
  }
}
