package org.vacuum.batch.sched;

/**
 * Lower bound per cycle: {@code max(n, minimum)}, or n when {@code sched.minpercycle.minimum} is
 * unset. A minimum of 0 turns every retirement into 0; a negative minimum caps how many pilots one
 * cycle retires.
 *
 * @param minimum the bound, or null when unset
 */
public record MinPerCycle(Integer minimum) implements SchedPlugin {

  public static final String NAME = "MinPerCycle";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (minimum == null) {
      return new Result(n, NAME + ":comment=not set,in=" + n + ",ret=" + n);
    }
    int out = Math.max(n, minimum);
    return new Result(out, NAME + ":in=" + n + ",minpercycle=" + minimum + ",ret=" + out);
  }
}
