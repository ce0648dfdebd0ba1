package org.vacuum.batch.sched;

/**
 * Caps pilots waiting in the batch system. With no pending pilot the input passes unchanged (the
 * batch system may have free slots); otherwise {@code min(n, maximum − pending)}, where {@code
 * maximum − pending} is first floored at 0 when {@code sched.maxpending.allow_negative} is false.
 * An unset maximum or missing batch info passes the input unchanged.
 *
 * @param maximum {@code sched.maxpending.maximum}, or null when unset
 * @param allowNegative {@code sched.maxpending.allow_negative} (default true): whether the cap may
 *     turn into a retirement when more than {@code maximum} pilots are pending
 */
public record MaxPending(Integer maximum, boolean allowNegative) implements SchedPlugin {

  public static final String NAME = "MaxPending";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (counts.pilots().isEmpty()) {
      return new Result(n, NAME + ":comment=no batch info,in=" + n + ",ret=" + n);
    }
    int pending = counts.pilots().get().pending();
    int out = n;
    if (pending != 0 && maximum != null) {
      long room = (long) maximum - pending;
      if (!allowNegative && room < 0) {
        room = 0;
      }
      out = SchedPlugin.clamp(Math.min(n, room));
    }
    return new Result(out, NAME + ":in=" + n + ",pending=" + pending + ",maxpending="
        + SchedPlugin.show(maximum) + ",ret=" + out);
  }
}
