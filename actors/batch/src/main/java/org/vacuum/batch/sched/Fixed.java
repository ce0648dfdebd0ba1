package org.vacuum.batch.sched;

/**
 * The same number every cycle, whatever the input: {@code sched.fixed.pilotspercycle}, or 0 when
 * unset.
 *
 * @param pilotsPerCycle the number, or null when unset
 */
public record Fixed(Integer pilotsPerCycle) implements SchedPlugin {

  public static final String NAME = "Fixed";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (pilotsPerCycle == null) {
      return new Result(0, NAME + ":comment=not set,in=" + n + ",ret=0");
    }
    return new Result(pilotsPerCycle, NAME + ":in=" + n + ",ret=" + pilotsPerCycle);
  }
}
