package org.vacuum.factory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocation;
import org.apache.pekko.cluster.sharding.external.ExternalShardAllocationStrategy;
import org.apache.pekko.cluster.sharding.typed.ClusterShardingSettings;
import org.apache.pekko.cluster.sharding.typed.ShardingEnvelope;
import org.apache.pekko.cluster.sharding.typed.ShardingMessageExtractor;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.vacuum.config.VacuumSettings;
import org.vacuum.hypervisor.HostFacts;
import org.vacuum.protocol.CborSerializable;
import org.vacuum.protocol.VacuumVersion;
import org.vacuum.protocol.factory.FactoryProtocol.ClearDrain;
import org.vacuum.protocol.factory.FactoryProtocol.Command;
import org.vacuum.protocol.factory.FactoryProtocol.DrainCleared;
import org.vacuum.protocol.factory.FactoryProtocol.DrainSet;
import org.vacuum.protocol.factory.FactoryProtocol.Event;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryRegistered;
import org.vacuum.protocol.factory.FactoryProtocol.Heartbeat;
import org.vacuum.protocol.factory.FactoryProtocol.Register;
import org.vacuum.protocol.factory.FactoryProtocol.SetDrain;
import org.vacuum.protocol.factory.FactoryStatus;

/**
 * One factory: a hypervisor host of the space (reference/vac.md §0, DESIGN §4). Its id is the
 * factory's FQDN. It persists that it registered and whether it is draining, and answers {@code
 * factory_query} from memory with the host's current facts.
 *
 * <p><b>Pinned.</b> The shard of a factory (shard id = factory name) lives on the node that owns
 * that hypervisor: the node records its shard location at start ({@link
 * #registerShardLocation}) and {@link ExternalShardAllocationStrategy} places it there. A factory
 * entity must never run anywhere else, since it would speak for the wrong host: if sharding ever
 * starts it on another node (its own node is gone and a message arrived), it answers every
 * command with "unreachable", persists nothing, and stops.
 */
public final class Factory
    extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, Factory.State> {

  // ---- State ---------------------------------------------------------------------------------

  /** What the journal knows of a factory. */
  public record State(String node, Instant registeredAt, boolean draining, String drainReason, Instant drainingSince)
      implements CborSerializable {

    static State empty() {
      return new State(null, null, false, null, null);
    }

    boolean registered() {
      return registeredAt != null;
    }

    State registered(FactoryRegistered e) {
      return new State(e.node(), e.at(), draining, drainReason, drainingSince);
    }

    State drained(DrainSet e) {
      return new State(node, registeredAt, true, e.reason(), e.at());
    }

    State undrained() {
      return new State(node, registeredAt, false, null, null);
    }
  }

  // ---- Entity key, sharding --------------------------------------------------------------------

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Factory");

  /** The daemon name that answers VacQuery for a factory, as in Vac's {@code daemon_version}. */
  static final String DAEMON = "factory";

  // Long-lived: snapshot so recovery stays short however many drains an operator does.
  private static final int SNAPSHOT_EVERY = 100;

  /**
   * Starts sharding for factories on this node. Only this node's own factory ever runs here; any
   * other id that reaches this node is answered "unreachable" (see class comment).
   */
  public static void init(ActorSystem<?> system, VacuumSettings settings) {
    ClusterSharding.get(system).init(
        Entity.of(ENTITY_KEY, ctx -> ctx.getEntityId().equals(settings.factoryName())
                ? create(settings, Clock.systemUTC())
                : unreachable(ctx.getEntityId()))
            .withRole(VacuumSettings.FACTORY_ROLE)
            .withMessageExtractor(new OneShardPerFactory())
            .withAllocationStrategy(ExternalShardAllocationStrategy.create(system, ENTITY_KEY.name(),
                Duration.ofSeconds(5)))
            .withSettings(ClusterShardingSettings.create(system).withNoPassivationStrategy()));
  }

  /** Records that this node hosts its factory's shard, so the allocation strategy pins it here. */
  public static CompletionStage<Done> registerShardLocation(ActorSystem<?> system, VacuumSettings settings) {
    return ExternalShardAllocation.get(system)
        .getClient(ENTITY_KEY.name())
        .setShardLocation(settings.factoryName(), Cluster.get(system).selfMember().address());
  }

  /** Shard id = factory name: a factory (and later its slots) is one shard, placed as one. */
  static final class OneShardPerFactory extends ShardingMessageExtractor<ShardingEnvelope<Command>, Command> {
    @Override
    public String entityId(ShardingEnvelope<Command> envelope) {
      return envelope.entityId();
    }

    @Override
    public String shardId(String entityId) {
      return entityId;
    }

    @Override
    public Command unwrapMessage(ShardingEnvelope<Command> envelope) {
      return envelope.message();
    }
  }

  // ---- create --------------------------------------------------------------------------------

  public static Behavior<Command> create(VacuumSettings settings, Clock clock) {
    String id = settings.factoryName();
    return Behaviors.setup(ctx -> Behaviors.withMdc(Command.class, Map.of("entity", "Factory:" + id),
        new Factory(ctx, settings, clock)));
  }

  /** What runs when a factory's id reaches a node that is not its own: refuse, persist nothing, stop. */
  static Behavior<Command> unreachable(String factory) {
    return Behaviors.withMdc(Command.class, Map.of("entity", "Factory:" + factory),
        Behaviors.setup(ctx -> {
          ctx.getLog().warn("factory {} is not hosted on this node; refusing and stopping", factory);
          String why = "factory " + factory + " is unreachable: its node is not in the space";
          return Behaviors.receive(Command.class)
              .onAnyMessage(command -> {
                replyError(command, why);
                return Behaviors.stopped();
              })
              .build();
        }));
  }

  private static void replyError(Command command, String why) {
    if (command instanceof Register c) c.replyTo().tell(StatusReply.error(why));
    else if (command instanceof SetDrain c) c.replyTo().tell(StatusReply.error(why));
    else if (command instanceof ClearDrain c) c.replyTo().tell(StatusReply.error(why));
    else if (command instanceof FactoryQuery c) c.replyTo().tell(StatusReply.error(why));
    else if (command instanceof Heartbeat c) c.replyTo().tell(StatusReply.error(why));
  }

  private final ActorContext<Command> ctx;
  private final VacuumSettings settings;
  private final Clock clock;
  // In-memory view, not persisted: times of the last heartbeat and the last answered query.
  private Instant factoryHeartbeat;
  private Instant responderHeartbeat;

  private Factory(ActorContext<Command> ctx, VacuumSettings settings, Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), settings.factoryName()));
    this.ctx = ctx;
    this.settings = settings;
    this.clock = clock;
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2);
  }

  // ---- command handlers --------------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Register.class, this::onRegister)
        .onCommand(SetDrain.class, this::onSetDrain)
        .onCommand(ClearDrain.class, this::onClearDrain)
        .onCommand(FactoryQuery.class, this::onQuery)
        .onCommand(Heartbeat.class, this::onHeartbeat)
        .build();
  }

  private ReplyEffect<Event, State> onRegister(State state, Register c) {
    if (!c.space().equals(settings.space())) {
      return Effect().reply(c.replyTo(), StatusReply.error("factory " + settings.factoryName()
          + " belongs to space " + settings.space() + ", not " + c.space()));
    }
    ctx.getLog().info("factory {} registering on {} (vacuum {})", settings.factoryName(), c.node(), c.version());
    factoryHeartbeat = clock.instant();
    return Effect()
        .persist(new FactoryRegistered(settings.factoryName(), c.space(), c.version(), c.node(), clock.instant()))
        .thenReply(c.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<Event, State> onSetDrain(State state, SetDrain c) {
    if (state.draining()) {
      return Effect().reply(c.replyTo(), StatusReply.success(status(state)));
    }
    String reason = c.reason() == null || c.reason().isBlank() ? "drain requested" : c.reason().trim();
    ctx.getLog().info("factory {} draining: {}", settings.factoryName(), reason);
    return Effect()
        .persist(new DrainSet(reason, clock.instant()))
        .thenReply(c.replyTo(), s -> StatusReply.success(status(s)));
  }

  private ReplyEffect<Event, State> onClearDrain(State state, ClearDrain c) {
    if (!state.draining()) {
      return Effect().reply(c.replyTo(), StatusReply.success(status(state)));
    }
    ctx.getLog().info("factory {} drain cleared", settings.factoryName());
    return Effect()
        .persist(new DrainCleared(clock.instant()))
        .thenReply(c.replyTo(), s -> StatusReply.success(status(s)));
  }

  private ReplyEffect<Event, State> onQuery(State state, FactoryQuery c) {
    responderHeartbeat = clock.instant();
    return Effect().reply(c.replyTo(), StatusReply.success(status(state)));
  }

  private ReplyEffect<Event, State> onHeartbeat(State state, Heartbeat c) {
    factoryHeartbeat = clock.instant();
    return Effect().reply(c.replyTo(), StatusReply.ack());
  }

  /** The {@code factory_status} of now: settings, journal state, in-memory view and host facts. */
  private FactoryStatus status(State state) {
    HostFacts host = HostFacts.read(settings.stateDir());
    int maxProcessors = settings.totalProcessors();
    return new FactoryStatus(
        VacuumVersion.vacVersion(),
        VacuumVersion.daemonVersion(DAEMON),
        FactoryStatus.VACQUERY_VERSION,
        settings.space(),
        settings.factoryName(),
        settings.site(),
        clock.instant().getEpochSecond(),
        0, // running processors, machines and hs06: no slots until machines exist on this node
        0,
        0.0,
        maxProcessors,
        maxProcessors,
        maxProcessors * 1.0,
        host.root().availKb(),
        host.root().availInodes(),
        host.stateDir().availKb(),
        host.stateDir().availInodes(),
        host.loadAverage15(),
        host.kernelVersion(),
        host.osIssue(),
        host.bootTime(),
        epoch(factoryHeartbeat),
        epoch(responderHeartbeat),
        null, // MJF and metadata servers arrive with machines
        null,
        host.swapUsedKb(),
        host.swapFreeKb(),
        host.memUsedKb(),
        host.memTotalKb(),
        state.draining());
  }

  private static Long epoch(Instant t) {
    return t == null ? null : t.getEpochSecond();
  }

  // ---- event handler ---------------------------------------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(FactoryRegistered.class, (state, e) -> state.registered(e))
        .onEvent(DrainSet.class, (state, e) -> state.drained(e))
        .onEvent(DrainCleared.class, (state, e) -> state.undrained())
        .build();
  }
}
