package org.vacuum.batch.sched;

/**
 * Keeps at least {@code sched.minpending.minimum} pilots pending: {@code max(n, minimum −
 * pending)}. An unset minimum passes the input unchanged. Missing batch info also passes it
 * unchanged (APF has no rule here and fails; a lower bound without data has nothing to add).
 *
 * @param minimum the bound, or null when unset
 */
public record MinPending(Integer minimum) implements SchedPlugin {

  public static final String NAME = "MinPending";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (counts.pilots().isEmpty()) {
      return new Result(n, NAME + ":comment=no batch info,in=" + n + ",ret=" + n);
    }
    int pending = counts.pilots().get().pending();
    if (minimum == null) {
      return new Result(n, NAME + ":comment=not set,in=" + n + ",pending=" + pending + ",ret=" + n);
    }
    int out = SchedPlugin.clamp(Math.max(n, (long) minimum - pending));
    return new Result(out, NAME + ":in=" + n + ",minpending=" + minimum + ",pending=" + pending
        + ",ret=" + out);
  }
}
