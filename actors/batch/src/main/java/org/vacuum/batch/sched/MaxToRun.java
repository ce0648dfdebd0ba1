package org.vacuum.batch.sched;

/**
 * Caps this queue's pilots in the batch system: {@code min(n, maximum − (pending + running))},
 * negative when over the cap. An unset {@code sched.maxtorun.maximum} passes the input unchanged;
 * missing batch info returns 0.
 *
 * @param maximum the cap, or null when unset
 */
public record MaxToRun(Integer maximum) implements SchedPlugin {

  public static final String NAME = "MaxToRun";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (counts.pilots().isEmpty()) {
      return new Result(0, NAME + ":comment=no batch info,in=" + n + ",ret=0");
    }
    QueueCounts.PilotCounts pilots = counts.pilots().get();
    if (maximum == null) {
      return new Result(n, NAME + ":comment=not set,in=" + n + ",ret=" + n);
    }
    int out = SchedPlugin.clamp(
        Math.min(n, (long) maximum - ((long) pilots.pending() + pilots.running())));
    return new Result(out, NAME + ":in=" + n + ",maxtorun=" + maximum + ",pending="
        + pilots.pending() + ",running=" + pilots.running() + ",ret=" + out);
  }
}
