package org.vacuum.batch.sched;

/**
 * Submits one pilot per job waiting in the WMS that no pending pilot will take yet:
 * {@code max(0, (ready − offset) − pending)}. The input is ignored. Without WMS or batch info it
 * returns 0.
 *
 * @param offset {@code sched.ready.offset}, ready jobs to leave alone (default 0)
 */
public record Ready(int offset) implements SchedPlugin {

  public static final String NAME = "Ready";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (counts.ready().isEmpty() || counts.pilots().isEmpty()) {
      return new Result(0, NAME + ":comment=no wms or batch info,in=" + n + ",ret=0");
    }
    int ready = counts.ready().getAsInt();
    int pending = counts.pilots().get().pending();
    int out = SchedPlugin.clamp(Math.max(0, ((long) ready - offset) - pending));
    return new Result(out, NAME + ":in=" + n + ",activated=" + ready + ",offset=" + offset
        + ",pending=" + pending + ",ret=" + out);
  }
}
