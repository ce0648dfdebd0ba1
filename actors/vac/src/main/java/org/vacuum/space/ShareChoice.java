package org.vacuum.space;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.protocol.factory.MachinetypeStatus;

/**
 * Vac's choice of which machinetype a factory starts next (reference/vac.md §2.3, {@code
 * pollFactories}), from this factory's configuration and the space's {@code machinetype_status}
 * replies.
 *
 * <p>For each configured machinetype with {@code target_share > 0}, every reply about it adds
 * {@code running_hs06 / target_share} to the type's score and to its machinegroup's score, adds its
 * {@code num_before_fizzle}, and, when its {@code shutdown_message} starts with a 3-digit code ≥
 * 300, makes its {@code shutdown_time} a candidate for the type's last abort. A type is eligible
 * when the global {@code shutdown_time} leaves it {@code min_wallclock_seconds} and its last abort
 * is older than {@code backoff_seconds} (plus {@code fizzle_seconds} while some machine of the type
 * is still a probe). Eligible types are ordered by machinegroup score, then machinetype score, then
 * at random. Factories that did not reply are simply not in the sums.
 *
 * <p>Scores are mutable so a factory that fills several slots in one decision re-scores after each
 * choice: {@link #created} counts a machine at once, as a starting probe. Not thread-safe.
 */
public final class ShareChoice {

  /**
   * One machinetype's standing: its scores, probes, last abort (Unix seconds, 0 for none), the
   * moment it may be created again after that abort, and why it is not eligible (null when it is).
   */
  public record Standing(String machinetype, String machinegroup, double groupScore, double score,
      int numBeforeFizzle, long lastAbort, Instant restartAt, String ineligible) {

    public boolean eligible() {
      return ineligible == null;
    }
  }

  /**
   * The outcome of one ranking: the eligible types in creation order, every type's standing, and
   * the earliest future moment a type now held back by an abort becomes eligible again.
   */
  public record Ranking(List<Machinetype> order, List<Standing> standings, Optional<Instant> nextRestart) {

    /** One line per type, for the log and the factory's status. */
    public String describe() {
      List<String> parts = new ArrayList<>();
      for (Standing s : standings) {
        parts.add(s.machinetype() + " (group " + s.machinegroup() + " score " + round(s.groupScore()) + ", score "
            + round(s.score()) + ", num_before_fizzle " + s.numBeforeFizzle()
            + (s.lastAbort() > 0 ? ", last abort " + Instant.ofEpochSecond(s.lastAbort()) : "")
            + (s.eligible() ? ", eligible" : ", " + s.ineligible()) + ")");
      }
      return String.join("; ", parts);
    }
  }

  private final Map<String, Machinetype> types = new LinkedHashMap<>();
  private final Map<String, Double> hs06 = new HashMap<>();
  private final Map<String, Integer> beforeFizzle = new HashMap<>();
  private final Map<String, Long> lastAbort = new HashMap<>();

  private ShareChoice(Collection<Machinetype> configured) {
    for (Machinetype t : configured) {
      if (t.targetShare() > 0) {
        types.put(t.name(), t);
        hs06.put(t.name(), 0.0);
        beforeFizzle.put(t.name(), 0);
        lastAbort.put(t.name(), 0L);
      }
    }
  }

  /**
   * Sums the replies of the factories that answered (this factory's own included) for this
   * factory's machinetypes with a share; replies about other types are ignored, as in Vac.
   */
  public static ShareChoice of(Collection<Machinetype> configured, Collection<MachinetypeStatus> replies) {
    ShareChoice choice = new ShareChoice(configured);
    for (MachinetypeStatus r : replies) {
      if (!choice.types.containsKey(r.machinetype())) {
        continue;
      }
      choice.hs06.merge(r.machinetype(), r.runningHs06(), Double::sum);
      choice.beforeFizzle.merge(r.machinetype(), r.numBeforeFizzle(), Integer::sum);
      if (r.shutdownTime() != null && isAbort(r.shutdownMessage())) {
        choice.lastAbort.merge(r.machinetype(), r.shutdownTime(), Math::max);
      }
    }
    return choice;
  }

  /**
   * True when a shutdown message starts with a 3-digit code of 300 or more (no work, banned,
   * site/machine problem, grid-wide problem, transient problem: reference/vac.md §2.3). 100 and
   * 200 are normal ends.
   */
  public static boolean isAbort(String shutdownMessage) {
    if (shutdownMessage == null || shutdownMessage.length() < 3) {
      return false;
    }
    String code = shutdownMessage.substring(0, 3);
    if (!code.chars().allMatch(Character::isDigit)) {
      return false;
    }
    return Integer.parseInt(code) >= 300;
  }

  /** A machine of this type was just created here: it runs (for the score) and is a probe. */
  public void created(String machinetype, double machineHs06) {
    if (types.containsKey(machinetype)) {
      hs06.merge(machinetype, machineHs06, Double::sum);
      beforeFizzle.merge(machinetype, 1, Integer::sum);
    }
  }

  /**
   * Ranks the types now. {@code shutdownTime} is the global {@code shutdown_time} (Unix seconds) or
   * null; {@code random} breaks ties of equal scores.
   */
  public Ranking rank(Instant now, Long shutdownTime, RandomGenerator random) {
    Map<String, Double> groupScores = new HashMap<>();
    for (Machinetype t : types.values()) {
      groupScores.merge(t.machinegroup(), score(t), Double::sum);
    }
    List<Standing> standings = new ArrayList<>();
    Map<String, Double> tieBreak = new HashMap<>();
    Instant nextRestart = null;
    for (Machinetype t : types.values()) {
      int probes = beforeFizzle.get(t.name());
      long abort = lastAbort.get(t.name());
      // Vac: eligible when lastAbort < now − backoff − (fizzle while a probe is young).
      Instant restartAt = Instant.ofEpochSecond(abort + t.backoffSeconds() + (probes > 0 ? t.fizzleSeconds() : 0));
      String ineligible = null;
      if (shutdownTime != null && now.getEpochSecond() + t.minWallclockSeconds() >= shutdownTime) {
        ineligible = "shutdown_time " + Instant.ofEpochSecond(shutdownTime) + " leaves less than min_wallclock_seconds "
            + t.minWallclockSeconds();
      } else if (abort > 0 && !now.isAfter(restartAt)) {
        ineligible = "backing off after an abort until " + restartAt
            + (probes > 0 ? " (backoff_seconds " + t.backoffSeconds() + " + fizzle_seconds " + t.fizzleSeconds()
                + " while " + probes + " probe(s) are young)" : " (backoff_seconds " + t.backoffSeconds() + ")");
        if (nextRestart == null || restartAt.isBefore(nextRestart)) {
          nextRestart = restartAt;
        }
      }
      standings.add(new Standing(t.name(), t.machinegroup(), groupScores.get(t.machinegroup()), score(t), probes,
          abort, restartAt, ineligible));
      tieBreak.put(t.name(), random.nextDouble());
    }
    Map<String, Standing> byName = new HashMap<>();
    standings.forEach(s -> byName.put(s.machinetype(), s));
    List<Machinetype> order = types.values().stream()
        .filter(t -> byName.get(t.name()).eligible())
        .sorted(Comparator.comparingDouble((Machinetype t) -> byName.get(t.name()).groupScore())
            .thenComparingDouble(t -> byName.get(t.name()).score())
            .thenComparingDouble(t -> tieBreak.get(t.name())))
        .toList();
    return new Ranking(order, List.copyOf(standings), Optional.ofNullable(nextRestart));
  }

  private double score(Machinetype t) {
    return hs06.get(t.name()) / t.targetShare();
  }

  private static String round(double x) {
    return String.format(java.util.Locale.ROOT, "%.2f", x);
  }
}
