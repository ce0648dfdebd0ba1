package org.vacuum.space;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.random.RandomGenerator;
import org.vacuum.config.vac.VacConf;
import org.vacuum.config.vac.VacSettings;
import org.vacuum.protocol.factory.MachinetypeStatus;

/**
 * One creation decision of a factory: which machines to create now in its free slots, from its
 * vac.conf, the space's {@code machinetype_status} replies, its own machines and the host's load.
 *
 * <p>Vac creates at most one machine per 60-s cycle; vacuum fills every free slot it can in one
 * decision, and before each further choice it re-checks the gate ({@link CreationGate}) with the
 * processors just taken, and re-scores ({@link ShareChoice#created}) so the next choice sees the
 * machines just chosen, then fits processors and lifetime by superslots ({@link SuperslotFill}).
 * The plan says why it stopped and when a type held back by an abort may be created again, so
 * the factory can decide again at that moment.
 */
public final class CreationPlan {

  private CreationPlan() {}

  /** A machine of this factory that holds processors: starting or running, with its shutdown time. */
  public record Occupied(String machinetype, int processors, long shutdownTime) {}

  /**
   * What one decision sees.
   *
   * @param space the {@code machinetype_status} replies of the factories that answered, this one's included
   * @param own this factory's starting and running machines (and those being created)
   * @param freeSlots slots with no machine and no creation under way
   * @param totalProcessors processors machines may use on this factory
   * @param load the host's load average (largest of 1/5/15 minutes), negative when unknown
   * @param hostProcessors the host's processor count
   * @param drainRequested an operator's drain (vac.conf's {@code draining} is read from {@code conf})
   */
  public record Inputs(VacConf conf, Collection<MachinetypeStatus> space, Collection<Occupied> own, int freeSlots,
      int totalProcessors, double load, int hostProcessors, boolean drainRequested) {}

  /**
   * The decision: machines to create in order, why no more, every type's standing at the last
   * ranking, and the earliest moment a backed-off type becomes eligible again.
   */
  public record Plan(List<SuperslotFill.Creation> creations, String stopped, String standings,
      Optional<Instant> nextRestart) {}

  public static Plan decide(Inputs in, Instant now, RandomGenerator random) {
    VacSettings settings = in.conf().settings();
    ShareChoice shares = ShareChoice.of(in.conf().machinetypes().values(), in.space());
    SortedMap<Long, Integer> superslots = new TreeMap<>();
    int running = 0;
    for (Occupied o : in.own()) {
      running += o.processors();
      superslots.merge(o.shutdownTime(), o.processors(), Integer::sum);
    }
    List<SuperslotFill.Creation> creations = new ArrayList<>();
    String standings = "";
    Optional<Instant> nextRestart = Optional.empty();
    String stopped = null;
    while (stopped == null) {
      if (creations.size() >= in.freeSlots()) {
        stopped = "no free slot";
        break;
      }
      CreationGate gate = new CreationGate(running, in.load(), settings.overloadPerProcessor(), in.hostProcessors(),
          settings.shutdownTime(), settings.draining() || in.drainRequested(), in.totalProcessors());
      Optional<String> closed = gate.check(now);
      if (closed.isPresent()) {
        stopped = closed.get();
        break;
      }
      ShareChoice.Ranking ranking = shares.rank(now, settings.shutdownTime(), random);
      standings = ranking.describe();
      nextRestart = ranking.nextRestart();
      if (ranking.order().isEmpty()) {
        stopped = "no machinetype eligible";
        break;
      }
      Optional<SuperslotFill.Creation> creation = SuperslotFill.choose(ranking.order(), superslots,
          in.totalProcessors() - running, settings.processorsPerSuperslot(), now);
      if (creation.isEmpty()) {
        stopped = "no eligible machinetype fits the " + (in.totalProcessors() - running) + " free processors";
        break;
      }
      SuperslotFill.Creation c = creation.get();
      creations.add(c);
      running += c.processors();
      superslots.merge(c.shutdownTime(), c.processors(), Integer::sum);
      shares.created(c.machinetype(), c.processors() * settings.hs06PerProcessorOrDefault());
    }
    return new Plan(List.copyOf(creations), stopped, standings, nextRestart);
  }
}
