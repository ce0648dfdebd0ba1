package org.vacuum.factory;

import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.slot.MachineStatus;

/**
 * Decides which machinetype a factory creates next in a free slot, how many processors it gets and
 * until when it may run. The factory calls it after its own gate checks (draining, shutdown_time,
 * free processors) and once per free slot, re-asking after each choice.
 */
public interface MachinetypeChooser {

  /** What to create: a machinetype, its processors, and its shutdown time (Unix seconds). */
  record Choice(String machinetype, int processors, long shutdownTime) {}

  /**
   * @param slots every slot of this factory as it stands, including machines being created now
   * @param freeProcessors processors not used by starting or running machines
   */
  Optional<Choice> choose(VacConf conf, Collection<MachineStatus> slots, int freeProcessors, Instant now);
}
