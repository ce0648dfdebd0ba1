package org.vacuum.accounting.projection;

import org.vacuum.accounting.apel.FinishedMachines;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.cassandra.javadsl.CassandraProjection;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.javadsl.Handler;
import org.apache.pekko.projection.javadsl.SourceProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.stream.javadsl.Sink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.accounting.apel.ApelArchive;
import org.vacuum.accounting.apel.ApelJob;
import org.vacuum.accounting.apel.ApelRecords;
import org.vacuum.journal.JournalTags;
import org.vacuum.journal.Journals;
import org.vacuum.config.VacuumSettings;
import org.vacuum.host.FactoryHost;
import org.vacuum.protocol.slot.SlotProtocol.Event;
import org.vacuum.protocol.slot.SlotProtocol.MachineCreated;
import org.vacuum.protocol.slot.SlotProtocol.MachineFinished;

/**
 * APEL accounting of a factory's finished machines, driven by the journal (DESIGN §6): a
 * pekko-projection over the factory's slot events ({@code eventsByTag} of {@link
 * JournalTags#slotsOf}), its offset stored with the journal (pekko-projection-jdbc in the H2
 * database, pekko-projection-cassandra in the keyspace), one instance on the factory's own node,
 * started once the slots are reconciled.
 *
 * <p><b>Exactly one record per machine.</b> The projection is at-least-once: after a crash it
 * replays the events since the last stored offset. Each {@link MachineFinished} that {@link
 * ApelRecords#accountable} accepts goes to {@link ApelArchive#account}, which writes a machine's
 * record once per uuid, ever; a replayed event therefore adds nothing. A machine that finished
 * while the node was down is finished by the reconciliation at start and accounted then.
 *
 * <p>The machine's facts come from its {@link MachineCreated}: remembered from the stream, or, for
 * a machine created before the offset the projection resumed from, read back from the slot's
 * events in the journal. The factory's identity (space, {@code gocdb_sitename}) is the vac.conf in
 * force when the machine is accounted.
 */
public final class AccountingProjection {

  private static final Logger log = LoggerFactory.getLogger(AccountingProjection.class);

  /** Name of the projection; its key is the factory. */
  public static final String NAME = "apel-accounting";

  private AccountingProjection() {}

  /**
   * Creates the offset tables where the node creates its journal's: on H2 always (like the journal
   * schema), on Cassandra only with {@code vacuum.cassandra.autocreate} (production runs the shipped
   * CQL, which has them).
   */
  public static CompletionStage<Done> createOffsetStore(ActorSystem<?> system, VacuumSettings settings) {
    return switch (settings.journal()) {
      case H2 -> JdbcProjection.createTablesIfNotExists(sessions(system), system);
      case CASSANDRA -> system.settings().config().getBoolean("vacuum.cassandra.autocreate")
          ? CassandraProjection.createTablesIfNotExists(system)
          : CompletableFuture.completedFuture(Done.getInstance());
    };
  }

  /** Starts this factory's accounting projection on this node (once, after reconciliation). */
  public static void start(ActorSystem<?> system, FactoryHost host) {
    VacuumSettings settings = host.settings();
    ProjectionId id = ProjectionId.of(NAME, settings.factoryName());
    SourceProvider<Offset, EventEnvelope<Event>> source = EventSourcedProvider.eventsByTag(system,
        Journals.readJournalPluginId(settings), JournalTags.slotsOf(settings.factoryName()));
    boolean crashAfterWrite = system.settings().config().getBoolean("vacuum.accounting.test-crash-after-write");
    Supplier<Handler<EventEnvelope<Event>>> handler =
        () -> new AccountingHandler(system, host, new ApelArchive(settings.accountingDir()), crashAfterWrite);
    Projection<EventEnvelope<Event>> projection = switch (settings.journal()) {
      case H2 -> JdbcProjection.atLeastOnceAsync(id, source, sessions(system), handler, system);
      case CASSANDRA -> CassandraProjection.atLeastOnce(id, source, handler);
    };
    system.systemActorOf(ProjectionBehavior.create(projection), NAME, Props.empty());
    AccountingReplay.register(system, host);
    log.info("APEL accounting of factory {} into {} (projection {})", settings.factoryName(),
        settings.accountingDir(), id.id());
  }

  private static Supplier<H2Session> sessions(ActorSystem<?> system) {
    var db = H2Session.database(system.settings().config());
    return () -> new H2Session(db);
  }

  /** Accounts each accountable {@link MachineFinished}; see the class comment. Called one envelope at a time. */
  static final class AccountingHandler extends Handler<EventEnvelope<Event>> {

    private final ActorSystem<?> system;
    private final FactoryHost host;
    private final ApelArchive archive;
    private final boolean crashAfterWrite;
    private final Journals.Query journal;
    // Machines created and not finished yet, as seen in this run of the stream.
    private final Map<String, MachineCreated> created = new ConcurrentHashMap<>();

    AccountingHandler(ActorSystem<?> system, FactoryHost host, ApelArchive archive, boolean crashAfterWrite) {
      this.system = system;
      this.host = host;
      this.archive = archive;
      this.crashAfterWrite = crashAfterWrite;
      this.journal = Journals.query(system, host.settings());
    }

    @Override
    public CompletionStage<Done> process(EventEnvelope<Event> envelope) {
      if (envelope.event() instanceof MachineCreated c) {
        created.put(c.uuid(), c);
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      if (!(envelope.event() instanceof MachineFinished finished)) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      MachineCreated known = created.remove(finished.uuid());
      CompletionStage<Optional<MachineCreated>> creation = known != null
          ? CompletableFuture.completedFuture(Optional.of(known))
          : createdInJournal(envelope.persistenceId(), envelope.sequenceNr(), finished.uuid());
      return creation.thenApplyAsync(c -> account(c, finished, envelope.persistenceId()), host.blocking());
    }

    private CompletionStage<Optional<MachineCreated>> createdInJournal(String persistenceId, long upTo, String uuid) {
      return journal.currentEventsByPersistenceId(persistenceId, 0, upTo)
          .map(e -> e.event())
          .filter(e -> e instanceof MachineCreated c && c.uuid().equals(uuid))
          .map(e -> (MachineCreated) e)
          .runWith(Sink.lastOption(), system);
    }

    private Done account(Optional<MachineCreated> creation, MachineFinished finished, String persistenceId) {
      if (creation.isEmpty()) {
        log.warn("machine {} finished in {} but its MachineCreated is not in the journal: not accounted",
            finished.uuid(), persistenceId);
        return Done.getInstance();
      }
      MachineCreated c = creation.get();
      if (!ApelRecords.accountable(finished.startedAt(), finished.lastHeartbeatAt(), c.fizzleSeconds())) {
        log.info("machine {} is not accounted: it {} (fizzle_seconds {})", finished.uuid(),
            finished.startedAt() == null ? "never started" : "ran less than fizzle_seconds or was never seen running",
            c.fizzleSeconds());
        return Done.getInstance();
      }
      boolean before = archive.accounted(c.uuid());
      ApelJob job = FinishedMachines.job(c, finished,
          FinishedMachines.FactorySite.of(host.settings(), host.conf()));
      Path file;
      try {
        file = archive.account(job, host.clock().instant());
      } catch (java.io.IOException e) {
        // The projection fails and restarts with backoff from its last offset: the record is retried.
        throw new CompletionException("accounting machine " + c.uuid() + " in " + archive.directory() + ": " + e, e);
      }
      if (!before) {
        log.info("machine {} ({}) accounted: {}", c.uuid(), c.machine(), file);
      }
      if (crashAfterWrite) {
        throw new IllegalStateException("vacuum.accounting.test-crash-after-write: failing after writing " + file
            + ", before the projection stores its offset");
      }
      return Done.getInstance();
    }
  }
}
