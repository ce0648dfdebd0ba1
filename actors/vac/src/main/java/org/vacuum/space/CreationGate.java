package org.vacuum.space;

import java.time.Instant;
import java.util.Locale;
import java.util.Optional;

/**
 * Vac's creation gate (reference/vac.md §2.5): the checks that stop a factory creating any machine
 * now, in Vac's order, the first that fails giving the reason. The load is the host's load average
 * as Vac reads it (the largest of the 1, 5 and 15-minute averages); a negative load means it could
 * not be read and skips the two load checks.
 *
 * @param runningProcessors processors of the machines starting or running on this factory
 * @param load the host's load average, or negative when unknown
 * @param overloadPerProcessor vac.conf's {@code overload_per_processor}
 * @param hostProcessors the host's processor count (Vac's {@code /proc/cpuinfo} count)
 * @param shutdownTime vac.conf's {@code shutdown_time} (Unix seconds), or null
 * @param draining vac.conf's {@code draining}, or a drain set by an operator
 * @param totalProcessors vac.conf's {@code total_processors}: the processors machines may use
 */
public record CreationGate(int runningProcessors, double load, double overloadPerProcessor, int hostProcessors,
    Long shutdownTime, boolean draining, int totalProcessors) {

  /** Why no machine may be created now, or empty when the gate is open. */
  public Optional<String> check(Instant now) {
    if (load >= 0 && runningProcessors > 4 && load > overloadPerProcessor * runningProcessors) {
      return Optional.of("load " + fmt(load) + " is over overload_per_processor " + fmt(overloadPerProcessor)
          + " × " + runningProcessors + " running processors");
    }
    if (load >= 0 && load > overloadPerProcessor * hostProcessors) {
      return Optional.of("load " + fmt(load) + " is over overload_per_processor " + fmt(overloadPerProcessor)
          + " × " + hostProcessors + " host processors");
    }
    if (shutdownTime != null && now.getEpochSecond() >= shutdownTime) {
      return Optional.of("shutdown_time " + Instant.ofEpochSecond(shutdownTime) + " has passed");
    }
    if (draining) {
      return Optional.of("draining");
    }
    if (runningProcessors >= totalProcessors) {
      return Optional.of(runningProcessors + " processors in use of total_processors " + totalProcessors);
    }
    return Optional.empty();
  }

  private static String fmt(double x) {
    return String.format(Locale.ROOT, "%.2f", x);
  }
}
