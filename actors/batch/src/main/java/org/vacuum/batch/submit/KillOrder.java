package org.vacuum.batch.submit;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * APF's {@code overlay.killorder} (reference/vc3.md §4.6): which pilots a non-peaceful retirement
 * of {@code n} pilots removes. Only pilots not yet {@link PilotState#DONE} are candidates, ordered
 * by submission time (ties by id, so the choice is stable); idle pilots are not preferred, as in
 * APF.
 */
public enum KillOrder {
  /** The most recently submitted first (APF's default). */
  NEWEST,
  /** The earliest submitted first. */
  OLDEST;

  /** Parses VC3's {@code app_killorder} value ({@code newest} or {@code oldest}). */
  public static KillOrder of(String value) {
    return switch (value) {
      case "newest" -> NEWEST;
      case "oldest" -> OLDEST;
      default -> throw new IllegalArgumentException(
          "killorder '" + value + "' is neither 'newest' nor 'oldest'");
    };
  }

  /** The at most {@code n} pilots to retire, in the order they should go. */
  public List<PilotId> choose(Map<PilotId, PilotInfo> pilots, int n) {
    Comparator<Map.Entry<PilotId, PilotInfo>> oldestFirst =
        Comparator.<Map.Entry<PilotId, PilotInfo>, java.time.Instant>comparing(
                e -> e.getValue().submitted())
            .thenComparing(Map.Entry::getKey);
    return pilots.entrySet().stream()
        .filter(e -> !e.getValue().isDone())
        .sorted(this == OLDEST ? oldestFirst : oldestFirst.reversed())
        .limit(Math.max(0, n))
        .map(Map.Entry::getKey)
        .toList();
  }
}
