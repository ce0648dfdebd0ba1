package org.vacuum.space;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Vac's creation gate (reference/vac.md §2.5): the checks in order, the first failure is the reason. */
class CreationGateTest {

  private static final Instant NOW = Instant.ofEpochSecond(SpaceFixtures.NOW);

  @ParameterizedTest(name = "running {0}, load {1}, overload {2}, host {3}, shutdown now+{4}, draining {5}, total {6} -> {7}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      // open
      "0 | 0.5  | 1.25 | 8 | -     | false | 8 | -",
      "4 | 7.0  | 1.25 | 8 | -     | false | 8 | -",
      // 1: more than 4 running processors and load over overload × running
      "5 | 6.5  | 1.25 | 8 | -     | false | 8 | load 6.50 is over overload_per_processor 1.25 × 5 running processors",
      "5 | 6.25 | 1.25 | 8 | -     | false | 8 | -",
      // 2: load over overload × the host's processors, even with few running
      "0 | 10.1 | 1.25 | 8 | -     | false | 8 | load 10.10 is over overload_per_processor 1.25 × 8 host processors",
      "6 | 8.0  | 1.25 | 8 | -     | false | 8 | load 8.00 is over overload_per_processor 1.25 × 6 running processors",
      // an unreadable load skips both load checks
      "6 | -1   | 1.25 | 8 | -     | false | 8 | -",
      // 3: shutdown_time passed
      "0 | 0.0  | 1.25 | 8 | 0     | false | 8 | shutdown_time 2027-01-15T08:00:00Z has passed",
      "0 | 0.0  | 1.25 | 8 | -10   | true  | 8 | shutdown_time 2027-01-15T07:59:50Z has passed",
      "0 | 0.0  | 1.25 | 8 | 10    | false | 8 | -",
      // 4: draining
      "0 | 0.0  | 1.25 | 8 | 10    | true  | 8 | draining",
      "8 | 0.0  | 1.25 | 8 | -     | true  | 8 | draining",
      // 5: no processors left under total_processors
      "8 | 0.0  | 1.25 | 8 | -     | false | 8 | 8 processors in use of total_processors 8",
      "3 | 0.0  | 1.25 | 8 | -     | false | 2 | 3 processors in use of total_processors 2",
      "7 | 0.0  | 1.25 | 8 | -     | false | 8 | -",
  })
  void theFirstFailingCheckInVacsOrderIsTheReason(int running, double load, double overload, int host,
      Long shutdownAhead, boolean draining, int total, String reason) {
    Long shutdownTime = shutdownAhead == null ? null : SpaceFixtures.NOW + shutdownAhead;
    CreationGate gate = new CreationGate(running, load, overload, host, shutdownTime, draining, total);
    assertEquals(reason, gate.check(NOW).orElse(null));
  }
}
