package org.vacuum.batch.sched;

/**
 * Keeps a number of pilots in the batch system: {@code keep − (running + pending)}, or, when
 * {@code sched.keepnrunning.keep_running} is unset, {@code n − (running + pending)} (the input is then
 * a target, not a number to add). The result may be negative, which retires pilots. Without batch
 * info it returns 0. Negative raw counts are clamped to 0 (APF's guard against bad status data);
 * retiring pilots are reported but not subtracted, as in APF.
 *
 * @param keepRunning target number of pilots, or null when unset
 */
public record KeepNRunning(Integer keepRunning) implements SchedPlugin {

  public static final String NAME = "KeepNRunning";

  @Override
  public Result apply(int n, QueueCounts counts) {
    if (counts.pilots().isEmpty()) {
      return new Result(0, NAME + ":comment=no batch info,in=" + n + ",ret=0");
    }
    QueueCounts.PilotCounts pilots = counts.pilots().get();
    int pending = Math.max(0, pilots.pending());
    int running = Math.max(0, pilots.running());
    int retiring = Math.max(0, pilots.retiring());
    long target = keepRunning == null ? n : keepRunning;
    int out = SchedPlugin.clamp(target - ((long) running + pending));
    return new Result(out, NAME + ":in=" + n + ",keep=" + SchedPlugin.show(keepRunning)
        + ",running=" + running + ",pending=" + pending + ",retiring=" + retiring + ",ret=" + out);
  }
}
