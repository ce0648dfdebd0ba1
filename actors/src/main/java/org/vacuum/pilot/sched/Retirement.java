package org.vacuum.pilot.sched;

import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Which pilots of a queue to remove when its sched chain returns a negative number, as APF's
 * Condor submit plugins do it: a <em>peaceful</em> queue removes none (its pilots end on their own,
 * e.g. by lingertime); otherwise pilots are ordered by submission time (qdate) and the first
 * {@code |n|} are removed — {@code killorder = newest} takes the most recently submitted first,
 * {@code oldest} the earliest. Like APF there is no preference for idle pilots: a running pilot
 * submitted later goes before an idle one submitted earlier under {@code newest}. Pilots with the
 * same qdate are ordered by batch id ({@code cluster.proc} compared as numbers), a higher id
 * counting as newer, which is the batch system's own submission order.
 *
 * <p>The caller removes the returned pilots from the batch system; this class only chooses.
 */
public final class Retirement {

  private Retirement() {}

  /** {@code overlay.killorder}: which end of the submission order is retired first. */
  public enum KillOrder {
    NEWEST,
    OLDEST;

    /**
     * @param value {@code newest} or {@code oldest} in any case; null or blank means newest (APF's
     *     default)
     */
    public static KillOrder parse(String value) {
      if (value == null || value.isBlank()) {
        return NEWEST;
      }
      return switch (value.strip().toLowerCase(Locale.ROOT)) {
        case "newest" -> NEWEST;
        case "oldest" -> OLDEST;
        default -> throw new IllegalArgumentException(
            "killorder '" + value + "' is neither newest nor oldest");
      };
    }
  }

  /** A pilot's batch state as the queue sees it; held pilots count as idle. */
  public enum PilotState { IDLE, RUNNING }

  /**
   * One pilot of the queue.
   *
   * @param id the batch id, e.g. {@code 1234.5}
   * @param qdate when it was submitted
   */
  public record Pilot(String id, Instant qdate, PilotState state) {
    public Pilot {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(qdate, "qdate");
      Objects.requireNonNull(state, "state");
    }
  }

  /**
   * Chooses the pilots to retire.
   *
   * @param pilots the queue's pilots still in the batch system
   * @param n the sched chain's result; only a negative n retires ({@code |n|} pilots, or all when
   *     fewer exist)
   * @param peaceful true: retire none and let pilots finish by themselves
   * @return the pilots to remove, in removal order
   */
  public static List<Pilot> choose(List<Pilot> pilots, int n, KillOrder killorder, boolean peaceful) {
    Objects.requireNonNull(pilots, "pilots");
    Objects.requireNonNull(killorder, "killorder");
    if (n >= 0 || peaceful) {
      return List.of();
    }
    Comparator<Pilot> bySubmission =
        Comparator.comparing(Pilot::qdate).thenComparing(Pilot::id, Retirement::compareIds);
    Comparator<Pilot> order = killorder == KillOrder.NEWEST ? bySubmission.reversed() : bySubmission;
    long count = Math.min(pilots.size(), -(long) n);
    return pilots.stream().sorted(order).limit(count).toList();
  }

  /** Condor ids {@code 1234.10} and {@code 1234.9} compare as numbers, part by part; others as text. */
  static int compareIds(String a, String b) {
    String[] pa = a.split("\\.");
    String[] pb = b.split("\\.");
    for (int i = 0; i < Math.min(pa.length, pb.length); i++) {
      int c;
      if (pa[i].matches("\\d{1,18}") && pb[i].matches("\\d{1,18}")) {
        c = Long.compare(Long.parseLong(pa[i]), Long.parseLong(pb[i]));
      } else {
        c = pa[i].compareTo(pb[i]);
      }
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(pa.length, pb.length);
  }
}
