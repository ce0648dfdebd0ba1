package org.vacuum.factory;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.slot.MachineStatus;

/**
 * A stand-in for Vac's space-wide target-share choice (reference/vac.md §2.3, §2.6), which needs
 * the census of the space: among this factory's machinetypes with {@code target_share > 0} that
 * fit the free processors and the global {@code shutdown_time}, the one with the fewest machines
 * here (then by name) gets {@code min(free, max_processors)} processors for {@code
 * max_wallclock_seconds}. To be replaced by the share-based chooser.
 */
public final class PlaceholderChooser implements MachinetypeChooser {

  @Override
  public Optional<Choice> choose(VacConf conf, Collection<MachineStatus> slots, int freeProcessors, Instant now) {
    Long shutdownTime = conf.settings().shutdownTime();
    return conf.machinetypes().values().stream()
        .filter(t -> t.targetShare() > 0)
        .filter(t -> t.minProcessors() <= freeProcessors)
        .filter(t -> shutdownTime == null || now.getEpochSecond() + t.minWallclockSeconds() < shutdownTime)
        .min(Comparator.comparingLong((Machinetype t) -> running(slots, t.name())).thenComparing(Machinetype::name))
        .map(t -> new Choice(t.name(), Math.min(freeProcessors, t.maxProcessors()),
            now.getEpochSecond() + t.maxWallclockSeconds()));
  }

  private static long running(Collection<MachineStatus> slots, String machinetype) {
    return slots.stream().filter(s -> s.occupied() && machinetype.equals(s.machinetype())).count();
  }
}
