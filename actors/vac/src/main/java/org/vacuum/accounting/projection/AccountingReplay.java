package org.vacuum.accounting.projection;

import org.vacuum.accounting.apel.FinishedMachines;

import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.stream.javadsl.Source;
import org.vacuum.accounting.apel.ApelJob;
import org.vacuum.accounting.apel.ApelRecords;
import org.vacuum.journal.JournalTags;
import org.vacuum.journal.Journals;
import org.vacuum.host.FactoryHost;
import org.vacuum.protocol.slot.SlotProtocol.MachineCreated;
import org.vacuum.protocol.slot.SlotProtocol.MachineFinished;

/**
 * The APEL jobs of one month regenerated from the journal ({@code vacuum audit rebuild-accounting}),
 * so an operator can compare them with apel-archive: the same rules and the same text as {@link
 * AccountingProjection}, from this factory's slot events in journal order. A machine belongs to the
 * month (UTC) of its {@link MachineFinished}, which is when it was accounted, give or take the
 * projection's lag (a machine finished just before midnight may be archived under the next day).
 *
 * <p>Streamed: only the machines created and not yet finished at the point of the journal being
 * read are held. The factory's identity is the vac.conf in force now, as the projection uses the
 * one in force when it accounts; records differ only if vac_space or gocdb_sitename changed since.
 */
public final class AccountingReplay {

  private AccountingReplay() {}

  /** The factory this node hosts, if it does; registered when its accounting starts. */
  public static Optional<FactoryHost> host(ActorSystem<?> system) {
    return Optional.ofNullable(Hosts.ID.get(system.classicSystem()).host.get());
  }

  static void register(ActorSystem<?> system, FactoryHost host) {
    Hosts.ID.get(system.classicSystem()).host.set(host);
  }

  /** The accountable machines of {@code host}'s factory that finished in {@code month}, in journal order. */
  public static Source<ApelJob, NotUsed> jobs(ActorSystem<?> system, FactoryHost host, YearMonth month) {
    return Journals.query(system, host.settings())
        .currentEventsByTag(JournalTags.slotsOf(host.settings().factoryName()), Offset.noOffset())
        .statefulMapConcat(() -> {
          Map<String, MachineCreated> created = new HashMap<>();
          return envelope -> {
            Object event = envelope.event();
            if (event instanceof MachineCreated c) {
              created.put(c.uuid(), c);
            } else if (event instanceof MachineFinished f) {
              MachineCreated c = created.remove(f.uuid());
              if (c != null && YearMonth.from(f.at().atZone(ZoneOffset.UTC)).equals(month)
                  && ApelRecords.accountable(f.startedAt(), f.lastHeartbeatAt(), c.fizzleSeconds())) {
                return List.of(FinishedMachines.job(c, f, FinishedMachines.FactorySite.of(host.settings(), host.conf())));
              }
            }
            return List.<ApelJob>of();
          };
        });
  }

  /** Per ActorSystem: the factory host of this node, or nothing on a node without the factory role. */
  private static final class Hosts implements Extension {
    static final Id ID = new Id();
    final AtomicReference<FactoryHost> host = new AtomicReference<>();

    static final class Id extends AbstractExtensionId<Hosts> implements ExtensionIdProvider {
      @Override
      public Id lookup() {
        return ID;
      }

      @Override
      public Hosts createExtension(ExtendedActorSystem system) {
        return new Hosts();
      }
    }
  }
}
