package org.vacuum.space;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.protocol.slot.MachineStatus;

/**
 * A factory's {@code machinetype_status} replies (reference/vac.md §3.4), computed from its slots
 * as they last told and the type's most recently finished machine: a pure function of its inputs,
 * so the {@code Factory} entity answers {@code machinetypes_query} from memory and the space's
 * creation decision reads the same numbers Vac's {@code pollFactories} reads.
 *
 * <p>One reply per configured machinetype, idle ones included: Vac 03.00 sends only types with
 * running processors or a shutdown message of the last 24 h while still advertising every type in
 * {@code num_machinetypes} (§10.2 item 16); vacuum answers all of them, so a reader never waits for
 * replies that will not come.
 *
 * <p>Counting, as Vac's responder: a machine is <em>running</em> when started, not finished, and
 * heard from (heartbeat) within {@link #STALE_SECONDS}; <em>starting</em> when not started yet and
 * created within {@link #STALE_SECONDS} (a machine being created now, without a created time yet,
 * is starting). A starting machine counts 1 processor and its own HS06 (hs06_per_processor ×
 * processors, or 1.0 per processor). {@code num_before_fizzle} counts the starting ones and the
 * running ones started less than the type's {@code fizzle_seconds} ago.
 *
 * <p>Outcome: the type's finished machine with the latest created time (Vac's {@code
 * finishes/TYPE}) gives {@code shutdown_message}, {@code shutdown_time} (when the message was
 * written) and {@code shutdown_machine}. A machine that ran less than {@code fizzle_seconds}
 * (heartbeat − started) and left no message gets {@code "300 Vac detects fizzle after N seconds"},
 * timed at its last heartbeat: the fallback Vac documents but never runs (§10.2 item 1), so a type
 * whose machines die at once backs off like one that says it has no work.
 */
public final class MachinetypeStatuses {

  /** Vac ignores machine files older than this: a machine not heard from for an hour is not counted. */
  public static final long STALE_SECONDS = 3600;

  /** The answering factory's header fields, the same in every reply of one answer. */
  public record Header(String vacVersion, String daemonVersion, String vacqueryVersion, String space, String factory,
      String site) {}

  private MachinetypeStatuses() {}

  /**
   * One {@code machinetype_status} per configured machinetype, in the configuration's order.
   *
   * @param slots this factory's slots as they last told (machines being created may be Starting
   *     without a created time)
   * @param finishes per machinetype, its most recently created finished machine (see {@link #remember})
   * @param now Unix seconds; also the replies' {@code time_sent}
   */
  public static List<MachinetypeStatus> of(Header header, VacConf conf, Collection<MachineStatus> slots,
      Map<String, MachineStatus> finishes, long now) {
    int count = conf.machinetypes().size();
    long bytesPerProcessor = conf.settings().mbPerProcessor() * (1L << 20);
    List<MachinetypeStatus> replies = new ArrayList<>(count);
    for (Machinetype type : conf.machinetypes().values()) {
      int machines = 0;
      int processors = 0;
      double hs06 = 0;
      int beforeFizzle = 0;
      for (MachineStatus slot : slots) {
        if (!type.name().equals(slot.machinetype())) {
          continue;
        }
        if (starting(slot, now)) {
          machines++;
          processors++;
          hs06 += slot.hs06() > 0 ? slot.hs06() : 1.0;
          beforeFizzle++;
        } else if (running(slot, now)) {
          machines++;
          processors += slot.numProcessors();
          hs06 += slot.hs06() > 0 ? slot.hs06() : slot.numProcessors();
          if (now < slot.startedTime() + type.fizzleSeconds()) {
            beforeFizzle++;
          }
        }
      }
      Outcome outcome = outcome(finishes.get(type.name()), type.fizzleSeconds());
      replies.add(new MachinetypeStatus(header.vacVersion(), header.daemonVersion(), header.vacqueryVersion(),
          header.space(), header.factory(), header.site(), now, count, type.name(), bytesPerProcessor, machines,
          processors, hs06, beforeFizzle, outcome.message(), outcome.time(), outcome.machine(),
          type.maxWallclockSeconds(), type.maxProcessors(), type.accountingFqan()));
    }
    return List.copyOf(replies);
  }

  /**
   * Remembers {@code status} in {@code finishes} if it is a finished machine at least as recently
   * created as the one remembered for its type (a later word about the same machine, e.g. its
   * shutdown message, replaces the earlier). Returns whether it did.
   */
  public static boolean remember(Map<String, MachineStatus> finishes, MachineStatus status) {
    if (!MachineStatus.SHUT_DOWN.equals(status.state()) || status.machinetype() == null
        || status.createdTime() == null) {
      return false;
    }
    MachineStatus known = finishes.get(status.machinetype());
    if (known != null && known.createdTime() > status.createdTime()) {
      return false;
    }
    finishes.put(status.machinetype(), status);
    return true;
  }

  /** The shutdown message, its time and the machine of a finish; all null when none is known. */
  record Outcome(String message, Long time, String machine) {
    static final Outcome NONE = new Outcome(null, null, null);
  }

  static Outcome outcome(MachineStatus finished, int fizzleSeconds) {
    if (finished == null) {
      return Outcome.NONE;
    }
    if (finished.shutdownMessage() != null) {
      return new Outcome(finished.shutdownMessage(), finished.shutdownTime(), finished.machine());
    }
    if (finished.startedTime() != null && finished.heartbeatTime() != null) {
      long ran = finished.heartbeatTime() - finished.startedTime();
      if (ran < fizzleSeconds) {
        return new Outcome("300 Vac detects fizzle after " + ran + " seconds", finished.heartbeatTime(),
            finished.machine());
      }
    }
    // No message and no fizzle: the machine is still named, so a reader sees whose outcome this is.
    return new Outcome(null, null, finished.machine());
  }

  private static boolean starting(MachineStatus slot, long now) {
    return MachineStatus.STARTING.equals(slot.state())
        && (slot.createdTime() == null || slot.createdTime() > now - STALE_SECONDS);
  }

  private static boolean running(MachineStatus slot, long now) {
    // Paused is a hypervisor's word; Vac's responder only sees started and not finished.
    return (MachineStatus.RUNNING.equals(slot.state()) || MachineStatus.PAUSED.equals(slot.state()))
        && slot.startedTime() != null
        && slot.heartbeatTime() != null && slot.heartbeatTime() > now - STALE_SECONDS;
  }
}
