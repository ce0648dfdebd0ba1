package org.vacuum.space;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import org.vacuum.config.vac.Machinetype;

/**
 * Vac's choice of processors and lifetime for the next machine (reference/vac.md §2.6), given the
 * eligible machinetypes in share order ({@link ShareChoice}).
 *
 * <p>First, existing superslots (the processors of this factory's machines grouped by their
 * shutdown time), in ascending shutdown time, skipping complete ones ({@code sum %
 * processors_per_superslot == 0}): the first type whose {@code min_processors} fits the superslot's
 * gap and whose wallclock range holds the time left gets {@code min(gap, max_processors, pps)}
 * processors and the superslot's shutdown time, so it ends with the others. Each superslot visited
 * takes its gap from the free processors. Otherwise, while processors remain free, a new superslot:
 * the first type with {@code min_processors ≤ min(free, pps)} gets {@code min(free,
 * max_processors, pps)} processors for {@code max_wallclock_seconds}. With {@code pps = 1} every
 * machine is a new superslot of one processor.
 */
public final class SuperslotFill {

  private SuperslotFill() {}

  /** What to create: a machinetype, its processors, its shutdown time (Unix seconds), and why. */
  public record Creation(String machinetype, int processors, long shutdownTime, String reason) {}

  /**
   * @param order eligible machinetypes, first choice first
   * @param superslots processors of this factory's machines by shutdown time (Unix seconds)
   * @param freeProcessors {@code total_processors} minus the processors in use
   * @param processorsPerSuperslot vac.conf's {@code processors_per_superslot}
   */
  public static Optional<Creation> choose(List<Machinetype> order, SortedMap<Long, Integer> superslots,
      int freeProcessors, int processorsPerSuperslot, Instant now) {
    int pps = Math.max(1, processorsPerSuperslot);
    long nowSeconds = now.getEpochSecond();
    int free = freeProcessors;
    for (Map.Entry<Long, Integer> superslot : superslots.entrySet()) {
      int sum = superslot.getValue();
      if (sum % pps == 0 || free <= 0) {
        continue;
      }
      int gap = Math.min(free, pps - sum % pps);
      free -= gap;
      long left = superslot.getKey() - nowSeconds;
      for (Machinetype t : order) {
        if (gap >= t.minProcessors() && t.minWallclockSeconds() <= left && left <= t.maxWallclockSeconds()) {
          int processors = Math.min(gap, Math.min(t.maxProcessors(), pps));
          return Optional.of(new Creation(t.name(), processors, superslot.getKey(), "fills the superslot ending "
              + Instant.ofEpochSecond(superslot.getKey()) + " (" + sum + " of " + pps + " processors)"));
        }
      }
    }
    if (free > 0) {
      int room = Math.min(free, pps);
      for (Machinetype t : order) {
        if (room >= t.minProcessors()) {
          int processors = Math.min(free, Math.min(t.maxProcessors(), pps));
          return Optional.of(new Creation(t.name(), processors, nowSeconds + t.maxWallclockSeconds(),
              "starts a new superslot"));
        }
      }
    }
    return Optional.empty();
  }
}
