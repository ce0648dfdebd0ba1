package org.vacuum.batch.sched;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * One table per sched plugin: input n and counts → output n. An empty cell is unknown (no batch
 * or WMS info) or unset (no parameter).
 */
class SchedPluginsTest {

  private static QueueCounts batch(Integer pending, Integer running, Integer retiring) {
    return pending == null
        ? QueueCounts.noBatchInfo()
        : QueueCounts.of(pending, running == null ? 0 : running, retiring == null ? 0 : retiring);
  }

  @ParameterizedTest(name = "keep={0} in={1} pending={2} running={3} retiring={4} -> {5}")
  @CsvSource({
      // keep, in, pending, running, retiring, out
      "5,  0,  1,  2, 0,  2",
      "5,  9,  1,  2, 0,  2",   // keep set: the input is ignored
      "5,  0,  0,  7, 0, -2",   // over target: negative, pilots are retired
      "0,  0,  2,  3, 0, -5",   // keep 0 retires everything
      ",  10,  1,  2, 0,  7",   // keep unset: the input is the target
      ",   0,  1,  2, 0, -3",
      "5,  0, -3,  2, 0,  3",   // negative raw counts clamp to 0
      "5,  0,  1, -1, 0,  4",
      "5,  0,  0,  2, 4,  3",   // retiring is reported, not subtracted
      "5,  3,   ,   ,  ,  0",   // no batch info: 0
      ",   3,   ,   ,  ,  0",
  })
  void keepNRunning(Integer keep, int in, Integer pending, Integer running, Integer retiring, int out) {
    assertEquals(out, new KeepNRunning(keep).apply(in, batch(pending, running, retiring)).n());
  }

  @Test
  void keepNRunningMessageHasApfShape() {
    assertEquals("KeepNRunning:in=0,keep=5,running=2,pending=1,retiring=0,ret=2",
        new KeepNRunning(5).apply(0, QueueCounts.of(1, 2, 0)).message());
    assertEquals("KeepNRunning:in=4,keep=None,running=0,pending=0,retiring=0,ret=4",
        new KeepNRunning(null).apply(4, QueueCounts.of(-1, 0, 0)).message());
  }

  @ParameterizedTest(name = "ready={0} offset={1} pending={2} in={3} -> {4}")
  @CsvSource({
      // ready, offset, pending, in, out
      "10, 0, 3, 0, 7",
      "2,  0, 5, 0, 0",   // more pending than ready: never negative
      "10, 4, 3, 0, 3",
      "1,  0, 0, 5, 1",   // the input is ignored
      ",   0, 3, 5, 0",   // no WMS info: 0
      "10, 0,  , 5, 0",   // no batch info: 0
  })
  void ready(Integer ready, int offset, Integer pending, int in, int out) {
    QueueCounts counts = batch(pending, 0, 0);
    if (ready != null) {
      counts = counts.withReady(ready);
    }
    assertEquals(out, new Ready(offset).apply(in, counts).n());
  }

  @ParameterizedTest(name = "pilotspercycle={0} in={1} -> {2}")
  @CsvSource({
      "5,  0, 5",
      "5, -3, 5",
      ",   7, 0",   // unset: 0
      "0,  7, 0",
  })
  void fixed(Integer perCycle, int in, int out) {
    assertEquals(out, new Fixed(perCycle).apply(in, QueueCounts.noBatchInfo()).n());
  }

  @ParameterizedTest(name = "factor={0} in={1} -> {2}")
  @CsvSource({
      "0.5,    5,  3",   // rounds up
      "0.5,   -5, -2",   // ceil of -2.5
      "1.0,    7,  7",
      "0.0,    4,  0",
      "0.3333, 3,  1",
      "2,     -3, -6",
  })
  void scale(double factor, int in, int out) {
    assertEquals(out, new Scale(factor).apply(in, QueueCounts.noBatchInfo()).n());
  }

  @Test
  void scaleRejectsNegativeAndNonFiniteFactors() {
    assertThrows(IllegalArgumentException.class, () -> new Scale(-0.5));
    assertThrows(IllegalArgumentException.class, () -> new Scale(Double.NaN));
  }

  @ParameterizedTest(name = "minimum={0} in={1} -> {2}")
  @CsvSource({
      "0,  -3,  0",   // minimum 0 blocks retirement
      ",   -3, -3",   // unset: unchanged
      "2,   5,  5",
      "2,   1,  2",
      "-2, -5, -2",   // a negative minimum caps retirements per cycle
  })
  void minPerCycle(Integer minimum, int in, int out) {
    assertEquals(out, new MinPerCycle(minimum).apply(in, QueueCounts.noBatchInfo()).n());
  }

  @ParameterizedTest(name = "maximum={0} in={1} -> {2}")
  @CsvSource({
      "50, 60, 50",
      "50, -3, -3",
      ",   60, 60",   // unset: unchanged
  })
  void maxPerCycle(Integer maximum, int in, int out) {
    assertEquals(out, new MaxPerCycle(maximum).apply(in, QueueCounts.noBatchInfo()).n());
  }

  @ParameterizedTest(name = "maximum={0} allow_negative={1} pending={2} in={3} -> {4}")
  @CsvSource({
      "100, true,   0, 500, 500",   // nothing pending: no limit
      "10,  true,   4,  20,   6",
      "10,  true,  15,  20,  -5",   // negatives allowed: over the cap retires
      "10,  false, 15,  20,   0",   // negatives disallowed: floored at 0
      "10,  false, 15,  -3,  -3",   // the floor applies to the room, not to the input
      ",    true,   5,  20,  20",   // unset: unchanged
      "10,  true,    ,  20,  20",   // no batch info: unchanged
  })
  void maxPending(Integer maximum, boolean allowNegative, Integer pending, int in, int out) {
    assertEquals(out, new MaxPending(maximum, allowNegative).apply(in, batch(pending, 0, 0)).n());
  }

  @ParameterizedTest(name = "minimum={0} pending={1} in={2} -> {3}")
  @CsvSource({
      "5, 2,  0,  3",
      "5, 7,  0,  0",
      "5, 7, -4, -2",
      "5, 2, 10, 10",
      ",  2,  4,  4",   // unset: unchanged
      "5,  ,  4,  4",   // no batch info: unchanged
  })
  void minPending(Integer minimum, Integer pending, int in, int out) {
    assertEquals(out, new MinPending(minimum).apply(in, batch(pending, 0, 0)).n());
  }

  @ParameterizedTest(name = "maximum={0} pending={1} running={2} in={3} -> {4}")
  @CsvSource({
      "10, 2, 3, 20,  5",
      "10, 2, 3,  1,  1",
      "10, 8, 5,  0, -3",   // over the cap: negative
      ",   2, 3,  7,  7",   // unset: unchanged
      "10,  ,  ,  7,  0",   // no batch info: 0
  })
  void maxToRun(Integer maximum, Integer pending, Integer running, int in, int out) {
    assertEquals(out, new MaxToRun(maximum).apply(in, batch(pending, running, 0)).n());
  }

  @ParameterizedTest(name = "maximum={0} total={1} in={2} -> {3}")
  @CsvSource({
      "100,  90, 20, 10",
      "100,  50, 20, 20",
      "100, 100,  1,  0",
      "100, 101,  5,  0",   // already over: 0
      "100, 101, -3,  0",   // already over: even a retirement becomes 0, as in APF
      "100,  90, -3, -3",
      ",     90,  7,  7",   // unset: unchanged
      "100,    ,  7,  0",   // factory total unknown: 0
  })
  void maxPerFactory(Integer maximum, Integer total, int in, int out) {
    QueueCounts counts = total == null ? QueueCounts.of(0, 0, 0) : QueueCounts.of(0, 0, 0).withFactoryPilots(total);
    assertEquals(out, new MaxPerFactory(maximum).apply(in, counts).n());
  }

  @Test
  void arithmeticSaturatesInsteadOfWrapping() {
    QueueCounts counts = new QueueCounts(Optional.of(new QueueCounts.PilotCounts(0, Integer.MAX_VALUE, 0)),
        OptionalInt.empty(), OptionalInt.empty());
    assertEquals(Integer.MIN_VALUE, new KeepNRunning(null).apply(Integer.MIN_VALUE, counts).n());
    assertEquals(Integer.MAX_VALUE, new Scale(2.0).apply(Integer.MAX_VALUE, counts).n());
  }
}
