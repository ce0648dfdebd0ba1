package org.vacuum.batch.sched;

/**
 * Upper bound per cycle: {@code min(n, maximum)}, or n when {@code sched.maxpercycle.maximum} is
 * unset.
 *
 * @param maximum the bound, or null when unset
 */
public record MaxPerCycle(Integer maximum) implements SchedPlugin {

  public static final String NAME = "MaxPerCycle";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (maximum == null) {
      return new Result(n, NAME + ":comment=not set,in=" + n + ",ret=" + n);
    }
    int out = Math.min(n, maximum);
    return new Result(out, NAME + ":in=" + n + ",maxpercycle=" + maximum + ",ret=" + out);
  }
}
