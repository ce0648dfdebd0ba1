package org.vacuum.accounting.apel;

import java.util.Optional;
import org.vacuum.accounting.apel.ApelJob;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol.MachineCreated;
import org.vacuum.protocol.slot.SlotProtocol.MachineFinished;

/**
 * How a finished machine's events become an APEL job (reference/vac.md §5.2): the machine's own
 * facts (machinetype, processors, memory, HS06, FQAN) from its {@link MachineCreated}, start, last
 * heartbeat and CPU from its {@link MachineFinished}, and the factory's identity (space, {@code
 * gocdb_sitename}) from the vac.conf in force when it is accounted. Pure; shared by the accounting
 * projection and by the rebuild of a month's records, so both write the same text.
 */
public final class FinishedMachines {

  private FinishedMachines() {}

  /** The factory's identity in records: its space and {@code gocdb_sitename} (null when unset). */
  public record FactorySite(String space, String gocdbSitename) {

    /** vac.conf's {@code vac_space} and {@code gocdb_sitename}, or the node's space when there is no vac.conf. */
    public static FactorySite of(VacuumSettings settings, Optional<VacConf> conf) {
      String space = conf.map(c -> c.settings().vacSpace()).filter(s -> !s.isBlank()).orElse(settings.space());
      String sitename = conf.map(c -> c.settings().gocdbSitename()).filter(s -> !s.isBlank()).orElse(null);
      return new FactorySite(space, sitename);
    }
  }

  /** The APEL job of a machine; only for a machine {@code ApelRecords.accountable} accepts (it started and was seen). */
  public static ApelJob job(MachineCreated created, MachineFinished finished, FactorySite site) {
    return new ApelJob(
        created.uuid(),
        created.machine(),
        SlotNames.factoryOf(created.machine()),
        site.space(),
        site.gocdbSitename(),
        created.machinetype(),
        created.accountingFqan(),
        created.processors(),
        finished.startedAt(),
        finished.lastHeartbeatAt(),
        Math.round(finished.cpuSeconds()),
        created.mbPerProcessor(),
        created.hs06PerProcessor());
  }
}
