package org.vacuum.batch.sched;

/**
 * One step of APF's sched chain: takes the number computed by the previous step ({@code n}, 0 for
 * the first) and this queue's counts, and returns a new number and an APF-style message
 * ({@code Name:key=value,...,ret=N}). A positive final number means submit that many pilots, a
 * negative one retire that many, zero nothing.
 *
 * <p>Plugins are immutable values built by {@link SchedChain#parse}; {@link #apply} is pure.
 */
public sealed interface SchedPlugin
    permits KeepNRunning, Ready, Fixed, Scale, MinPerCycle, MaxPerCycle, MaxPending, MinPending,
        MaxToRun, MaxPerFactory {

  /** A step's output: the number handed on and the message for the queue's label and log. */
  record Result(int n, String message) {}

  Result apply(int n, QueueCounts counts);

  /** APF prints an unset parameter as Python's {@code None}; messages keep that spelling. */
  static String show(Integer value) {
    return value == null ? "None" : value.toString();
  }

  /** Saturates instead of wrapping: Python's integers never overflow, Java's do. */
  static int clamp(long value) {
    return (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, value));
  }
}
