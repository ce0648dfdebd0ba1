package org.vacuum.slot;

import org.vacuum.protocol.slot.SlotProtocol;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReplyBuilderByState;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.host.FactoryHost;
import org.vacuum.host.PinnedToFactory;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.hypervisor.MachineDomain;
import org.vacuum.hypervisor.machine.MachineDirectory;
import org.vacuum.hypervisor.mjf.MachineView;
import org.vacuum.protocol.CborSerializable;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol.Check;
import org.vacuum.protocol.slot.SlotProtocol.Command;
import org.vacuum.protocol.slot.SlotProtocol.Create;
import org.vacuum.protocol.slot.SlotProtocol.Destroy;
import org.vacuum.protocol.slot.SlotProtocol.DomainStopped;
import org.vacuum.protocol.slot.SlotProtocol.Event;
import org.vacuum.protocol.slot.SlotProtocol.GetStatus;
import org.vacuum.protocol.slot.SlotProtocol.HeartbeatSeen;
import org.vacuum.protocol.slot.SlotProtocol.Internal;
import org.vacuum.protocol.slot.SlotProtocol.JoboutputWritten;
import org.vacuum.protocol.slot.SlotProtocol.MachineCreated;
import org.vacuum.protocol.slot.SlotProtocol.MachineFinished;
import org.vacuum.protocol.slot.SlotProtocol.MachineStarted;
import org.vacuum.protocol.slot.SlotProtocol.Reconcile;
import org.vacuum.protocol.slot.SlotProtocol.Released;
import org.vacuum.protocol.slot.SlotProtocol.ShutdownMessage;
import org.vacuum.protocol.slot.SlotProtocol.ShutdownTimeLowered;
import org.vacuum.protocol.slot.SlotProtocol.WallclockReached;

/**
 * One slot of a factory: a fixed machine position ({@code f1-03.example.com}, reference/vac.md
 * §2.1) that holds one machine at a time, from creation to release, and keeps that history in the
 * journal (DESIGN §4).
 *
 * <p><b>Lifecycle.</b> {@code Create} persists {@link MachineCreated} (phase Starting), then builds
 * the machine off the actor thread (directory, MJF keys, user_data, image, domain). When the domain
 * runs it persists {@link MachineStarted} (Running) and answers. While running, a timer checks the
 * machine every {@code vacuum.slot.check-interval}: CPU from the hypervisor ({@link HeartbeatSeen},
 * persisted at most every {@code heartbeat-persist-interval}), a paused domain is destroyed, the
 * global {@code shutdown_time} lowers the machine's ({@link ShutdownTimeLowered}, MJF rewritten),
 * the {@code heartbeat_file} rule is enforced after {@code fizzle_seconds} (and not before
 * fizzle_seconds after the node started), and the shutdown time is a timer of its own. A domain
 * that stops is reported by the hypervisor's events. The end is always {@link MachineFinished}
 * (wall from start to last heartbeat, CPU last seen) then, once the domain and its disks are gone,
 * {@link Released}: the slot is free again.
 *
 * <p><b>Restart = reconcile.</b> After recovery, and when the node asks ({@code Reconcile}), the
 * slot compares its journal with the hypervisor: a running machine whose domain is there with the
 * same uuid is adopted untouched; one whose domain vanished is finished; one left Starting is
 * destroyed and finished; a domain of this name that no machine of this slot owns is reaped.
 *
 * <p><b>Pinned.</b> The shard of a slot is its factory's (shard id = factory name) and lives on
 * the factory's node, like the {@code Factory} entity; a slot id that reaches another node is
 * refused and stops, since it would drive the wrong hypervisor.
 */
public final class Slot extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, Slot.State> {

  // ---- State ---------------------------------------------------------------------------------

  /** Where a slot is in its machine's life. Empty = never had one; Released = had one, free again. */
  public enum Phase {
    EMPTY,
    STARTING,
    RUNNING,
    FINISHED,
    RELEASED
  }

  /** The slot's current (or last) machine as the journal knows it. */
  public record Machine(
      String machinetype,
      String model,
      int processors,
      long shutdownTime,
      String uuid,
      Instant createdAt,
      String directory,
      Double hs06PerProcessor,
      int mbPerProcessor,
      String accountingFqan,
      int fizzleSeconds,
      Instant startedAt,
      Instant heartbeatAt,
      double cpuSeconds,
      Integer shutdownCode,
      String shutdownText,
      Instant shutdownMessageAt,
      String finishReason,
      Instant finishedAt) {

    static Machine created(MachineCreated e) {
      return new Machine(e.machinetype(), e.model(), e.processors(), e.shutdownTime(), e.uuid(), e.createdAt(),
          e.directory(), e.hs06PerProcessor(), e.mbPerProcessor(), e.accountingFqan(), e.fizzleSeconds(), null, null,
          0, null, null, null, null, null);
    }

    Machine started(Instant at) {
      return new Machine(machinetype, model, processors, shutdownTime, uuid, createdAt, directory, hs06PerProcessor,
          mbPerProcessor, accountingFqan, fizzleSeconds, at, at, 0, shutdownCode, shutdownText, shutdownMessageAt,
          finishReason, finishedAt);
    }

    Machine heartbeat(double cpu, Instant at) {
      return new Machine(machinetype, model, processors, shutdownTime, uuid, createdAt, directory, hs06PerProcessor,
          mbPerProcessor, accountingFqan, fizzleSeconds, startedAt, at, cpu, shutdownCode, shutdownText,
          shutdownMessageAt, finishReason, finishedAt);
    }

    Machine shutdownTime(long t) {
      return new Machine(machinetype, model, processors, t, uuid, createdAt, directory, hs06PerProcessor,
          mbPerProcessor, accountingFqan, fizzleSeconds, startedAt, heartbeatAt, cpuSeconds, shutdownCode,
          shutdownText, shutdownMessageAt, finishReason, finishedAt);
    }

    Machine message(int code, String text, Instant at) {
      return new Machine(machinetype, model, processors, shutdownTime, uuid, createdAt, directory, hs06PerProcessor,
          mbPerProcessor, accountingFqan, fizzleSeconds, startedAt, heartbeatAt, cpuSeconds, code, text, at,
          finishReason, finishedAt);
    }

    Machine finished(MachineFinished e) {
      return new Machine(machinetype, model, processors, shutdownTime, uuid, createdAt, directory, hs06PerProcessor,
          mbPerProcessor, accountingFqan, fizzleSeconds, startedAt, e.lastHeartbeatAt(), e.cpuSeconds(), shutdownCode,
          shutdownText, shutdownMessageAt, e.reason(), e.at());
    }

    /** HS06 of the machine, as Vac counts it: hs06_per_processor (or 1.0) × processors. */
    double hs06() {
      return (hs06PerProcessor == null ? 1.0 : hs06PerProcessor) * processors;
    }
  }

  /** What the journal knows of a slot. */
  public record State(Phase phase, Machine machine) implements CborSerializable {

    static State empty() {
      return new State(Phase.EMPTY, null);
    }

    boolean free() {
      return phase == Phase.EMPTY || phase == Phase.RELEASED;
    }

    State with(Phase p, Machine m) {
      return new State(p, m);
    }
  }

  // ---- internal messages -----------------------------------------------------------------------

  private record Built(String uuid, MachineDomain domain) implements Internal {}

  private record BuildFailed(String uuid, String error) implements Internal {}

  private record ShutdownDone(String uuid, String error) implements Internal {}

  private record Recovered() implements Internal {}

  // ---- entity key, sharding --------------------------------------------------------------------


  private static final int SNAPSHOT_EVERY = 100;
  private static final String CHECK_TIMER = "check";
  private static final String WALLCLOCK_TIMER = "wallclock";
  /** Vac's file name for a machine's shutdown message in joboutputs. */
  static final String SHUTDOWN_MESSAGE_FILE = "shutdown_message";

  /**
   * Starts sharding for slots on this node. Only slots of this node's own factory ever run here
   * (see class comment); {@code host} is null on a node without the factory role.
   */
  public static void init(ActorSystem<?> system, VacuumSettings settings, FactoryHost host) {
    PinnedToFactory.init(system, SlotProtocol.ENTITY_KEY, Slot::factoryOf,
        id -> host != null && SlotNames.isMachineOf(settings.factoryName(), id) ? create(id, host) : unreachable(id));
  }

  /** Records that this node hosts its factory's slots, so the allocation strategy pins them here. */
  public static CompletionStage<Done> registerShardLocation(ActorSystem<?> system, VacuumSettings settings) {
    return PinnedToFactory.registerShardLocation(system, SlotProtocol.ENTITY_KEY, settings.factoryName());
  }

  /** A slot's factory (its shard); an id that is no machine name is a shard of its own, refused there. */
  private static String factoryOf(String machine) {
    try {
      return SlotNames.factoryOf(machine);
    } catch (IllegalArgumentException e) {
      return machine;
    }
  }

  // ---- create --------------------------------------------------------------------------------

  public static Behavior<Command> create(String machine, FactoryHost host) {
    return Behaviors.setup(ctx -> Behaviors.withMdc(Command.class, Map.of("entity", "Slot:" + machine),
        Behaviors.withTimers(timers -> new Slot(machine, host, ctx, timers))));
  }

  /** What runs when a slot id reaches a node that is not its factory's: refuse, persist nothing, stop. */
  static Behavior<Command> unreachable(String machine) {
    return Behaviors.withMdc(Command.class, Map.of("entity", "Slot:" + machine), Behaviors.setup(ctx -> {
      ctx.getLog().warn("slot {} is not hosted on this node; refusing and stopping", machine);
      String why = "slot " + machine + " is unreachable: its factory's node is not in the space";
      return Behaviors.receive(Command.class)
          .onAnyMessage(command -> {
            if (command instanceof Create c) c.replyTo().tell(StatusReply.error(why));
            else if (command instanceof Reconcile c) c.replyTo().tell(StatusReply.error(why));
            else if (command instanceof Destroy c) c.replyTo().tell(StatusReply.error(why));
            else if (command instanceof GetStatus c) c.replyTo().tell(StatusReply.error(why));
            return Behaviors.stopped();
          })
          .build();
    }));
  }

  private final String machine;
  private final int ordinal;
  private final FactoryHost host;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  // In-memory only: the latest observation (may be newer than the last persisted heartbeat), the
  // callers waiting for an outcome, and whether the domain was last seen paused.
  private double cpuNow;
  private Instant cpuAt;
  private double cpuPercentage;
  private boolean paused;
  private boolean shuttingDown;
  private String pendingShutdownMessage;
  private String pendingFinishReason;
  private ActorRef<StatusReply<MachineStatus>> createReplyTo;
  private final List<ActorRef<StatusReply<MachineStatus>>> destroyReplyTo = new ArrayList<>();

  private Slot(String machine, FactoryHost host, ActorContext<Command> ctx, TimerScheduler<Command> timers) {
    super(PersistenceId.of(SlotProtocol.ENTITY_KEY.name(), machine),
        SupervisorStrategy.restartWithBackoff(Duration.ofMillis(200), Duration.ofSeconds(10), 0.2));
    this.machine = machine;
    this.ordinal = SlotNames.ordinalOf(machine);
    this.host = host;
    this.ctx = ctx;
    this.timers = timers;
  }

  /** Every event is in the audit trail and in its factory's accounting ({@link org.vacuum.journal.JournalTags}). */
  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return java.util.Set.of(org.vacuum.journal.JournalTags.AUDIT, org.vacuum.journal.JournalTags.slotsOf(factoryOf(machine)));
  }

  @Override
  public State emptyState() {
    return State.empty();
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2);
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (state.machine() != null) {
            cpuNow = state.machine().cpuSeconds();
            cpuAt = state.machine().heartbeatAt();
          }
          if (state.phase() == Phase.RUNNING) {
            // Serve the machine's MJF requests at once; the reconcile decides whether it still runs.
            machineUp(state.machine());
          }
          if (!state.free()) {
            ctx.getSelf().tell(new Recovered());
          }
          notifyFactory(state);
        })
        .build();
  }

  // ---- command handlers --------------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    CommandHandlerWithReplyBuilderByState<Command, Event, State, State> free =
        newCommandHandlerWithReplyBuilder().forState(State::free);
    free.onCommand(Create.class, this::onCreate)
        .onCommand(Reconcile.class, (s, c) -> reapStray(s, c.replyTo()))
        .onCommand(Destroy.class, (s, c) -> Effect().reply(c.replyTo(),
            StatusReply.error("slot " + machine + " has no machine to destroy")));

    CommandHandlerWithReplyBuilderByState<Command, Event, State, State> starting =
        newCommandHandlerWithReplyBuilder().forState(s -> s.phase() == Phase.STARTING);
    starting.onCommand(Create.class, (s, c) -> busy(s, c.replyTo()))
        .onCommand(Built.class, this::onBuilt)
        .onCommand(BuildFailed.class, this::onBuildFailed)
        .onCommand(Reconcile.class, (s, c) -> cleanUpInterrupted(s, c.replyTo()))
        .onCommand(Recovered.class, (s, c) -> cleanUpInterrupted(s, null))
        .onCommand(Destroy.class, (s, c) -> Effect().reply(c.replyTo(), otherMachine(s, c).orElse(
            StatusReply.error("the machine in slot " + machine + " is still starting; destroy it once it runs"))));

    CommandHandlerWithReplyBuilderByState<Command, Event, State, State> running =
        newCommandHandlerWithReplyBuilder().forState(s -> s.phase() == Phase.RUNNING);
    running.onCommand(Create.class, (s, c) -> busy(s, c.replyTo()))
        .onCommand(Check.class, this::onCheck)
        .onCommand(WallclockReached.class, this::onWallclock)
        .onCommand(DomainStopped.class, (s, c) -> finish(s, stoppedReason(), null))
        .onCommand(Destroy.class, (s, c) -> otherMachine(s, c).map(refusal -> Effect().reply(c.replyTo(), refusal))
            .orElseGet(() -> onDestroy(s, c)))
        .onCommand(ShutdownDone.class, this::onShutdownDone)
        .onCommand(JoboutputWritten.class, this::onJoboutput)
        .onCommand(Reconcile.class, (s, c) -> reconcileRunning(s, c.replyTo()))
        .onCommand(Recovered.class, (s, c) -> reconcileRunning(s, null));

    CommandHandlerWithReplyBuilderByState<Command, Event, State, State> finished =
        newCommandHandlerWithReplyBuilder().forState(s -> s.phase() == Phase.FINISHED);
    finished.onCommand(Create.class, (s, c) -> busy(s, c.replyTo()))
        .onCommand(Check.class, (s, c) -> release(s, null))
        .onCommand(Reconcile.class, (s, c) -> release(s, c.replyTo()))
        .onCommand(Recovered.class, (s, c) -> release(s, null))
        .onCommand(Destroy.class, (s, c) -> otherMachine(s, c).map(refusal -> Effect().reply(c.replyTo(), refusal))
            .orElseGet(() -> release(s, c.replyTo())));

    CommandHandlerWithReplyBuilderByState<Command, Event, State, State> any =
        newCommandHandlerWithReplyBuilder().forAnyState();
    any.onCommand(GetStatus.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(status(s))))
        // Late notifications about a machine that is no longer here: nothing to do.
        .onAnyCommand((s, c) -> Effect().noReply());

    return free.orElse(starting).orElse(running).orElse(finished).orElse(any).build();
  }

  /** The refusal of a {@code Destroy} meant for another machine than the one this slot holds, if it is. */
  private Optional<StatusReply<MachineStatus>> otherMachine(State state, Destroy d) {
    if (d.uuid() == null || d.uuid().equals(state.machine().uuid())) {
      return Optional.empty();
    }
    return Optional.of(StatusReply.error("slot " + machine + " holds machine " + state.machine().uuid() + ", not "
        + d.uuid() + ": that machine is gone and this one is not destroyed"));
  }

  private ReplyEffect<Event, State> busy(State state, ActorRef<StatusReply<MachineStatus>> replyTo) {
    return Effect().reply(replyTo, StatusReply.error("slot " + machine + " is not free: its machine is "
        + vacState(state).toLowerCase()));
  }

  // -- free --

  private ReplyEffect<Event, State> onCreate(State state, Create c) {
    Optional<Machinetype> type = host.machinetype(c.machinetype());
    if (type.isEmpty()) {
      return Effect().reply(c.replyTo(), StatusReply.error("machinetype " + c.machinetype()
          + " is not configured on factory " + host.settings().factoryName()));
    }
    Machinetype mt = type.get();
    if (!mt.machineModel().isVirtualMachine()) {
      return Effect().reply(c.replyTo(), StatusReply.error("machinetype " + mt.name() + ": machine_model "
          + mt.machineModel().vacName() + " is not supported by vacuum (only VM models are)"));
    }
    if (c.processors() < 1) {
      return Effect().reply(c.replyTo(), StatusReply.error("a machine needs at least 1 processor, not " + c.processors()));
    }
    VacConf conf = host.conf().orElseThrow();
    Instant now = host.clock().instant();
    String uuid = UUID.randomUUID().toString();
    long created = now.getEpochSecond();
    String directory = host.machinesDir().resolve(created + "_" + mt.name() + "_" + machine).toString();
    MachineCreated event = new MachineCreated(machine, mt.name(), mt.machineModel().vacName(), c.processors(),
        c.shutdownTime(), uuid, now, directory, conf.settings().hs06PerProcessor(), conf.settings().mbPerProcessor(),
        mt.accountingFqan(), mt.fizzleSeconds());
    ctx.getLog().info("creating a {} machine ({} processors, until {}) as {}", mt.name(), c.processors(),
        Instant.ofEpochSecond(c.shutdownTime()), uuid);
    createReplyTo = c.replyTo();
    return Effect().persist(event)
        .thenRun(s -> {
          notifyFactory(s);
          build(s.machine(), mt, conf, c.userDataOptions());
        })
        .thenNoReply();
  }

  private void build(Machine m, Machinetype mt, VacConf conf, Map<String, String> userDataOptions) {
    MachineLaunch launch = new MachineLaunch(host, machine, ordinal);
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> launch.build(m, mt, conf, userDataOptions,
                view -> host.machineUp(ordinal, view)),
            host.blocking()),
        (domain, error) -> error == null
            ? new Built(m.uuid(), domain)
            : new BuildFailed(m.uuid(), MachineLaunch.reason(error)));
  }

  private ReplyEffect<Event, State> reapStray(State state, ActorRef<StatusReply<MachineStatus>> replyTo) {
    try {
      Optional<MachineDomain> domain = host.hypervisor().lookup(machine);
      if (domain.isPresent()) {
        ctx.getLog().warn("reaping domain {} (uuid {}): no machine of this slot owns it", machine, domain.get().uuid());
        host.hypervisor().destroy(machine);
        host.hypervisor().releaseDisks(machine);
      }
    } catch (HypervisorException e) {
      return Effect().reply(replyTo, StatusReply.error("slot " + machine + ": " + e.getMessage()));
    }
    return Effect().reply(replyTo, StatusReply.success(status(state)));
  }

  // -- starting --

  private ReplyEffect<Event, State> onBuilt(State state, Built b) {
    if (!b.uuid().equals(state.machine().uuid())) {
      return Effect().noReply();
    }
    Instant now = host.clock().instant();
    ctx.getLog().info("machine {} is running", b.uuid());
    cpuNow = b.domain().cpuTimeNanos() / 1e9;
    cpuAt = now;
    ActorRef<StatusReply<MachineStatus>> replyTo = createReplyTo;
    createReplyTo = null;
    var effect = Effect().persist(new MachineStarted(b.uuid(), now))
        .thenRun(s -> {
          startTimers(s.machine());
          notifyFactory(s);
        });
    return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, s -> StatusReply.success(status(s)));
  }

  private ReplyEffect<Event, State> onBuildFailed(State state, BuildFailed f) {
    if (!f.uuid().equals(state.machine().uuid())) {
      return Effect().noReply();
    }
    ctx.getLog().warn("creating machine {} failed: {}", f.uuid(), f.error());
    ActorRef<StatusReply<MachineStatus>> replyTo = createReplyTo;
    createReplyTo = null;
    String reason = "creation failed: " + f.error();
    if (replyTo != null) {
      replyTo.tell(StatusReply.error("slot " + machine + ": " + reason));
    }
    return finish(state, reason, null);
  }

  private ReplyEffect<Event, State> cleanUpInterrupted(State state, ActorRef<StatusReply<MachineStatus>> replyTo) {
    ctx.getLog().warn("machine {} was left Starting (creation interrupted); destroying and cleaning up",
        state.machine().uuid());
    return finish(state, "creation interrupted", replyTo);
  }

  // -- running --

  private ReplyEffect<Event, State> reconcileRunning(State state, ActorRef<StatusReply<MachineStatus>> replyTo) {
    Machine m = state.machine();
    Optional<MachineDomain> domain;
    try {
      domain = host.hypervisor().lookup(machine);
    } catch (HypervisorException e) {
      return replyTo == null ? Effect().noReply()
          : Effect().reply(replyTo, StatusReply.error("slot " + machine + ": " + e.getMessage()));
    }
    if (domain.isPresent() && domain.get().uuid().toString().equals(m.uuid())) {
      ctx.getLog().info("adopting running machine {}", m.uuid());
      machineUp(m);
      startTimers(m);
      observe(domain.get());
      return replyTo == null ? Effect().noReply() : Effect().reply(replyTo, StatusReply.success(status(state)));
    }
    if (domain.isPresent()) {
      ctx.getLog().warn("domain {} has uuid {}, not machine {}'s: reaping it", machine, domain.get().uuid(), m.uuid());
      return finish(state, "its domain was replaced by an unknown one", replyTo);
    }
    ctx.getLog().warn("machine {} vanished from the hypervisor", m.uuid());
    return finish(state, "the machine's domain vanished", replyTo);
  }

  private ReplyEffect<Event, State> onCheck(State state, Check c) {
    Machine m = state.machine();
    Instant now = host.clock().instant();
    Optional<MachineDomain> domain;
    try {
      domain = host.hypervisor().lookup(machine);
    } catch (HypervisorException e) {
      ctx.getLog().warn("checking machine {}: {}", m.uuid(), e.getMessage());
      return Effect().noReply();
    }
    if (domain.isEmpty() || !domain.get().uuid().toString().equals(m.uuid())) {
      return finish(state, stoppedReason(), null);
    }
    observe(domain.get());
    if (shuttingDown) {
      return Effect().noReply();
    }
    if (paused) {
      return startShutdown(state, "paused without shutting down", null);
    }
    if (now.getEpochSecond() > m.shutdownTime()) {
      return startShutdown(state, "wallclock limit reached", null);
    }
    Optional<String> heartbeatProblem = heartbeatFileProblem(m, now);
    if (heartbeatProblem.isPresent()) {
      return startShutdown(state, heartbeatProblem.get(), heartbeatProblem.get());
    }
    List<Event> events = new ArrayList<>();
    Long global = host.conf().map(conf -> conf.settings().shutdownTime()).orElse(null);
    if (global != null && global < m.shutdownTime()) {
      events.add(new ShutdownTimeLowered(m.uuid(), global, now));
    }
    Duration persistEvery = host.settings().slot().heartbeatPersistInterval();
    if (m.heartbeatAt() == null || !now.isBefore(m.heartbeatAt().plus(persistEvery))) {
      events.add(new HeartbeatSeen(m.uuid(), cpuNow, now));
    }
    if (events.isEmpty()) {
      notifyFactory(state);
      return Effect().noReply();
    }
    return Effect().persist(events)
        .thenRun(s -> {
          if (global != null && global < m.shutdownTime()) {
            lowerShutdownTime(s.machine());
          }
          notifyFactory(s);
        })
        .thenNoReply();
  }

  /** Vac's heartbeat-file rule (reference/vac.md §2.4), or empty if it does not apply or is met. */
  private Optional<String> heartbeatFileProblem(Machine m, Instant now) {
    Optional<Machinetype> type = host.machinetype(m.machinetype());
    if (type.isEmpty() || type.get().heartbeatFile() == null || m.fizzleSeconds() <= 0 || m.startedAt() == null) {
      return Optional.empty();
    }
    Duration fizzle = Duration.ofSeconds(m.fizzleSeconds());
    if (!now.isAfter(m.startedAt().plus(fizzle)) || !now.isAfter(host.startedAt().plus(fizzle))) {
      return Optional.empty();
    }
    Optional<Instant> modified = MachineDirectory.open(java.nio.file.Path.of(m.directory()))
        .joboutputModified(type.get().heartbeatFile());
    if (modified.isEmpty()) {
      return Optional.of("700 Heartbeat file not created");
    }
    int seconds = type.get().heartbeatSeconds();
    if (seconds > 0 && now.isAfter(modified.get().plusSeconds(seconds))) {
      return Optional.of("700 Heartbeat file not updated");
    }
    return Optional.empty();
  }

  private ReplyEffect<Event, State> onWallclock(State state, WallclockReached w) {
    if (w.shutdownTime() != state.machine().shutdownTime() || shuttingDown) {
      return Effect().noReply();
    }
    return startShutdown(state, "wallclock limit reached", null);
  }

  private ReplyEffect<Event, State> onDestroy(State state, Destroy d) {
    destroyReplyTo.add(d.replyTo());
    if (shuttingDown) {
      return Effect().noReply();
    }
    String reason = d.reason() == null || d.reason().isBlank() ? "destroyed by an operator" : d.reason();
    return startShutdown(state, reason, d.shutdownMessage());
  }

  /** Vac's destroy: ACPI shutdown, up to shutdown-grace, then destroy (off the actor thread). */
  private ReplyEffect<Event, State> startShutdown(State state, String reason, String shutdownMessage) {
    ctx.getLog().info("destroying machine {}: {}", state.machine().uuid(), reason);
    shuttingDown = true;
    pendingFinishReason = reason;
    pendingShutdownMessage = shutdownMessage;
    String uuid = state.machine().uuid();
    Duration grace = host.settings().slot().shutdownGrace();
    ctx.pipeToSelf(CompletableFuture.runAsync(() -> {
          try {
            host.hypervisor().shutdown(machine, grace);
          } catch (HypervisorException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        }, host.blocking()),
        (ok, error) -> new ShutdownDone(uuid, error == null ? null : MachineLaunch.reason(error)));
    return Effect().noReply();
  }

  /** Why a domain that is gone went: ours, if we were destroying it; else the machine's own doing. */
  private String stoppedReason() {
    return shuttingDown && pendingFinishReason != null ? pendingFinishReason : "the machine shut down";
  }

  private ReplyEffect<Event, State> onShutdownDone(State state, ShutdownDone d) {
    if (!d.uuid().equals(state.machine().uuid())) {
      return Effect().noReply();
    }
    if (d.error() != null) {
      ctx.getLog().warn("shutting machine {} down: {}", d.uuid(), d.error());
    }
    return finish(state, pendingFinishReason == null ? "destroyed" : pendingFinishReason, null);
  }

  private ReplyEffect<Event, State> onJoboutput(State state, JoboutputWritten w) {
    Machine m = state.machine();
    if (!w.uuid().equals(m.uuid()) || !SHUTDOWN_MESSAGE_FILE.equals(w.fileName())) {
      return Effect().noReply();
    }
    var message = MachineDirectory.open(java.nio.file.Path.of(m.directory())).shutdownMessage();
    if (message.isEmpty()) {
      return Effect().noReply();
    }
    ctx.getLog().info("machine {} says: {}", m.uuid(), message.get().text());
    return Effect().persist(new ShutdownMessage(m.uuid(), message.get().code(), message.get().text(), message.get().at()))
        .thenRun(this::notifyFactory)
        .thenNoReply();
  }

  // -- the end of a machine --

  /**
   * The machine is gone (or going): record how it ended, then clean up and release. The shutdown
   * message the machine wrote, if any, is read first, so a message written just before poweroff is
   * not lost.
   */
  private ReplyEffect<Event, State> finish(State state, String reason,
      ActorRef<StatusReply<MachineStatus>> replyTo) {
    Machine m = state.machine();
    Instant now = host.clock().instant();
    timers.cancel(CHECK_TIMER);
    timers.cancel(WALLCLOCK_TIMER);
    List<Event> events = new ArrayList<>();
    MachineDirectory dir = MachineDirectory.open(java.nio.file.Path.of(m.directory()));
    if (pendingShutdownMessage != null) {
      writeShutdownMessage(dir, pendingShutdownMessage);
    }
    var message = dir.shutdownMessage();
    if (message.isPresent() && (m.shutdownMessageAt() == null || !message.get().text().equals(m.shutdownText()))) {
      events.add(new ShutdownMessage(m.uuid(), message.get().code(), message.get().text(), message.get().at()));
    }
    Instant lastSeen = state.phase() == Phase.RUNNING ? (cpuAt != null ? cpuAt : m.heartbeatAt()) : null;
    long wall = m.startedAt() == null || lastSeen == null ? 0
        : Math.max(0, Duration.between(m.startedAt(), lastSeen).getSeconds());
    double cpu = state.phase() == Phase.RUNNING ? cpuNow : 0;
    events.add(new MachineFinished(m.uuid(), reason, m.startedAt(), lastSeen, wall, cpu, now));
    boolean cleaned = cleanUp(m);
    if (cleaned) {
      events.add(new Released(m.uuid(), now));
    }
    ctx.getLog().info("machine {} finished: {} (wall {} s, cpu {} s)", m.uuid(), reason, wall, Math.round(cpu));
    shuttingDown = false;
    pendingShutdownMessage = null;
    pendingFinishReason = null;
    List<ActorRef<StatusReply<MachineStatus>>> waiting = new ArrayList<>(destroyReplyTo);
    destroyReplyTo.clear();
    if (replyTo != null) {
      waiting.add(replyTo);
    }
    return Effect().persist(events)
        .thenRun(s -> {
          if (s.phase() == Phase.FINISHED) {
            // Disks or domain could not be removed: retry at the next check.
            timers.startTimerWithFixedDelay(CHECK_TIMER, new Check(), host.settings().slot().checkInterval());
          }
          notifyFactory(s);
          MachineStatus st = status(s);
          waiting.forEach(r -> r.tell(StatusReply.success(st)));
        })
        .thenNoReply();
  }

  private ReplyEffect<Event, State> release(State state, ActorRef<StatusReply<MachineStatus>> replyTo) {
    Machine m = state.machine();
    if (!cleanUp(m)) {
      return replyTo == null ? Effect().noReply()
          : Effect().reply(replyTo, StatusReply.error("slot " + machine + ": machine " + m.uuid()
              + " cannot be cleaned up yet (see the factory's log)"));
    }
    timers.cancel(CHECK_TIMER);
    var effect = Effect().persist(new Released(m.uuid(), host.clock().instant())).thenRun(this::notifyFactory);
    return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, s -> StatusReply.success(status(s)));
  }

  /** Destroys the domain if still there and removes its disks. True when nothing is left. */
  private boolean cleanUp(Machine m) {
    try {
      host.hypervisor().destroy(machine);
      host.hypervisor().releaseDisks(machine);
      host.machineGone(ordinal, m.uuid());
      return true;
    } catch (HypervisorException e) {
      ctx.getLog().warn("cleaning up machine {}: {}", m.uuid(), e.getMessage());
      return false;
    }
  }

  private void writeShutdownMessage(MachineDirectory dir, String text) {
    try {
      dir.writeShutdownMessageIfAbsent(text);
    } catch (java.io.IOException e) {
      ctx.getLog().warn("writing shutdown message in {}: {}", dir.path(), e.toString());
    }
  }

  // ---- helpers -------------------------------------------------------------------------------

  private void observe(MachineDomain domain) {
    Instant now = host.clock().instant();
    double cpu = domain.cpuTimeNanos() / 1e9;
    if (cpuAt != null && now.isAfter(cpuAt)) {
      double seconds = Duration.between(cpuAt, now).toMillis() / 1000.0;
      cpuPercentage = seconds <= 0 ? 0 : Math.max(0, 100.0 * (cpu - cpuNow) / seconds);
    }
    cpuNow = cpu;
    cpuAt = now;
    paused = !domain.running();
  }

  private void startTimers(Machine m) {
    timers.startTimerWithFixedDelay(CHECK_TIMER, new Check(), host.settings().slot().checkInterval());
    scheduleWallclock(m);
  }

  private void scheduleWallclock(Machine m) {
    Duration until = Duration.between(host.clock().instant(), Instant.ofEpochSecond(m.shutdownTime()));
    timers.startSingleTimer(WALLCLOCK_TIMER, new WallclockReached(m.shutdownTime()),
        until.isNegative() ? Duration.ZERO : until.plusMillis(500));
  }

  private void lowerShutdownTime(Machine m) {
    ctx.getLog().info("machine {}: shutdown_time lowers its shutdown time to {}", m.uuid(),
        Instant.ofEpochSecond(m.shutdownTime()));
    try {
      MachineDirectory.open(java.nio.file.Path.of(m.directory())).lowerShutdownTime(m.shutdownTime());
    } catch (java.io.IOException e) {
      ctx.getLog().warn("rewriting the MJF shutdown time of machine {}: {}", m.uuid(), e.toString());
    }
    scheduleWallclock(m);
  }

  private void machineUp(Machine m) {
    host.machineUp(ordinal, new MachineView(machine, UUID.fromString(m.uuid()), m.machinetype(),
        MachineDirectory.open(java.nio.file.Path.of(m.directory())), host.settings().factoryName()));
  }

  private void notifyFactory(State state) {
    host.slotChanged(status(state));
  }

  /** Vac's state string for this slot (reference/vac.md §2.4). */
  private String vacState(State state) {
    return switch (state.phase()) {
      case STARTING -> MachineStatus.STARTING;
      case RUNNING -> paused ? MachineStatus.PAUSED : MachineStatus.RUNNING;
      default -> MachineStatus.SHUT_DOWN;
    };
  }

  /** The slot as {@code machine_status}; the factory adds the header when it answers a query. */
  MachineStatus status(State state) {
    Machine m = state.machine();
    if (m == null) {
      return MachineStatus.empty(machine);
    }
    boolean running = state.phase() == Phase.RUNNING;
    Instant heartbeat = running && cpuAt != null ? cpuAt : m.heartbeatAt();
    return new MachineStatus(null, null, null, null, null, null, 0, 0, machine, vacState(state), m.model(), m.uuid(),
        m.createdAt().getEpochSecond(), epoch(m.startedAt()), epoch(heartbeat),
        state.phase() == Phase.STARTING ? 1 : m.processors(),
        running ? cpuNow : m.cpuSeconds(), running ? cpuPercentage : 0, m.hs06(), m.machinetype(), m.shutdownText(),
        epoch(m.shutdownMessageAt()), m.accountingFqan(), m.finishReason());
  }

  private static Long epoch(Instant t) {
    return t == null ? null : t.getEpochSecond();
  }

  // ---- event handler ---------------------------------------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(MachineCreated.class, (s, e) -> s.with(Phase.STARTING, Machine.created(e)))
        .onEvent(MachineStarted.class, (s, e) -> s.with(Phase.RUNNING, s.machine().started(e.at())))
        .onEvent(HeartbeatSeen.class, (s, e) -> s.with(s.phase(), s.machine().heartbeat(e.cpuSeconds(), e.at())))
        .onEvent(ShutdownTimeLowered.class, (s, e) -> s.with(s.phase(), s.machine().shutdownTime(e.shutdownTime())))
        .onEvent(ShutdownMessage.class, (s, e) -> s.with(s.phase(), s.machine().message(e.code(), e.text(), e.at())))
        .onEvent(MachineFinished.class, (s, e) -> s.with(Phase.FINISHED, s.machine().finished(e)))
        .onEvent(Released.class, (s, e) -> s.with(Phase.RELEASED, s.machine()))
        .build();
  }
}
