package org.vacuum.factory;

import org.vacuum.protocol.factory.FactoryProtocol;
import org.vacuum.host.FactoryHost;
import org.vacuum.host.HostLoad;
import org.vacuum.host.PinnedToFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletionStage;
import java.util.random.RandomGenerator;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
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
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.protocol.factory.FactoryProtocol.ClearDrain;
import org.vacuum.protocol.factory.FactoryProtocol.ConfigApplied;
import org.vacuum.protocol.factory.FactoryProtocol.ConfigChanged;
import org.vacuum.protocol.factory.FactoryProtocol.ConfigRejected;
import org.vacuum.protocol.factory.FactoryProtocol.CreateMachine;
import org.vacuum.protocol.factory.FactoryProtocol.CreationFailed;
import org.vacuum.protocol.factory.FactoryProtocol.CreationResult;
import org.vacuum.protocol.factory.FactoryProtocol.CreationSucceeded;
import org.vacuum.protocol.factory.FactoryProtocol.DecisionTick;
import org.vacuum.protocol.factory.FactoryProtocol.Machines;
import org.vacuum.protocol.factory.FactoryProtocol.MachinesQuery;
import org.vacuum.protocol.factory.FactoryProtocol.Machinetypes;
import org.vacuum.protocol.factory.FactoryProtocol.MachinetypesQuery;
import org.vacuum.protocol.factory.FactoryProtocol.SlotChanged;
import org.vacuum.protocol.factory.FactoryProtocol.SlotsReconciled;
import org.vacuum.protocol.factory.FactoryProtocol.SpaceCensusAnswered;
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
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol;
import org.vacuum.slot.Slot;
import org.vacuum.space.MachinetypeStatuses;
import org.vacuum.space.Census;
import org.vacuum.space.CreationGate;
import org.vacuum.space.CreationPlan;
import org.vacuum.space.SuperslotFill.Creation;

/**
 * One factory: a hypervisor host of the space (reference/vac.md §0, DESIGN §4). Its id is the
 * factory's FQDN. It persists that it registered and whether it is draining, and answers {@code
 * factory_query} from memory with the host's current facts.
 *
 * <p><b>Machines.</b> The factory keeps an in-memory view of its slots, which tell it every change
 * ({@code SlotChanged}), and answers {@code machines_query} and {@code machinetypes_query} from it. Once the node has reconciled
 * the slots with the hypervisor, it decides which machines to create: when a slot frees, when
 * vac.conf changes, when a drain is cleared, when a machinetype's backoff ends, and on a periodic
 * safety tick. A decision asks the space for its {@code machinetype_status} census (one deadline,
 * Vac's per-receive UDP timeout), counts itself from its own slots (so a creation just made counts
 * at once), and lets {@link CreationPlan} fill as many free slots as Vac's gate, shares and
 * superslots allow. Only one decision runs at a time; triggers meanwhile coalesce into one more. A
 * failed creation is the factory error ({@code CreationFailed}) until the next success, and
 * creation pauses for a retry interval so a broken machinetype does not spin.
 *
 * <p><b>Pinned.</b> The shard of a factory (shard id = factory name) lives on the node that owns
 * that hypervisor: the node records its shard location at start ({@link
 * #registerShardLocation}) and {@link PinnedToFactory} places it there. A factory
 * entity must never run anywhere else, since it would speak for the wrong host: if sharding ever
 * starts it on another node (its own node is gone and a message arrived), it answers every
 * command with "unreachable", persists nothing, and stops.
 */
public final class Factory
    extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, Factory.State> {

  // ---- State ---------------------------------------------------------------------------------

  /** What the journal knows of a factory. */
  public record State(String node, Instant registeredAt, boolean draining, String drainReason, Instant drainingSince,
      String configFingerprint, String configError, String creationError)
      implements CborSerializable {

    static State empty() {
      return new State(null, null, false, null, null, null, null, null);
    }

    /** Vac's factory-error: a rejected vac.conf edit, else the last creation failure. */
    String factoryError() {
      return configError != null ? configError : creationError;
    }

    boolean registered() {
      return registeredAt != null;
    }

    State registered(FactoryRegistered e) {
      return new State(e.node(), e.at(), draining, drainReason, drainingSince, configFingerprint, configError,
          creationError);
    }

    State drained(DrainSet e) {
      return new State(node, registeredAt, true, e.reason(), e.at(), configFingerprint, configError, creationError);
    }

    State undrained() {
      return new State(node, registeredAt, false, null, null, configFingerprint, configError, creationError);
    }

    State config(String fingerprint, String error) {
      return new State(node, registeredAt, draining, drainReason, drainingSince,
          fingerprint != null ? fingerprint : configFingerprint, error, creationError);
    }

    State creation(String error) {
      return new State(node, registeredAt, draining, drainReason, drainingSince, configFingerprint, configError, error);
    }
  }

  // ---- Entity key, sharding --------------------------------------------------------------------


  /** Building a machine may fetch a root image (Vac's limit: 120 s) and define a domain. */
  private static final Duration CREATE_TIMEOUT = Duration.ofMinutes(5);

  /** The daemon name that answers VacQuery for a factory, as in Vac's {@code daemon_version}. */
  static final String DAEMON = "factory";

  // Long-lived: snapshot so recovery stays short however many drains an operator does.
  private static final int SNAPSHOT_EVERY = 100;

  /**
   * Starts sharding for factories on this node. Only this node's own factory ever runs here; any
   * other id that reaches this node is answered "unreachable" (see class comment).
   */
  public static void init(ActorSystem<?> system, VacuumSettings settings, FactoryHost host) {
    PinnedToFactory.init(system, FactoryProtocol.ENTITY_KEY, id -> id,
        id -> host != null && id.equals(settings.factoryName()) ? create(host, new java.util.SplittableRandom()) : unreachable(id));
  }

  /** Records that this node hosts its factory's shard, so the allocation strategy pins it here. */
  public static CompletionStage<Done> registerShardLocation(ActorSystem<?> system, VacuumSettings settings) {
    return PinnedToFactory.registerShardLocation(system, FactoryProtocol.ENTITY_KEY, settings.factoryName());
  }

  // ---- create --------------------------------------------------------------------------------

  /** {@code random} breaks ties between machinetypes of equal score (Vac's {@code random()}). */
  public static Behavior<Command> create(FactoryHost host, RandomGenerator random) {
    String id = host.settings().factoryName();
    return Behaviors.setup(ctx -> Behaviors.withMdc(Command.class, Map.of("entity", "Factory:" + id),
        Behaviors.withTimers(timers -> new Factory(ctx, timers, host, random))));
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
    else if (command instanceof CreateMachine c) c.replyTo().tell(StatusReply.error(why));
    else if (command instanceof MachinesQuery c) c.replyTo().tell(StatusReply.error(why));
    else if (command instanceof MachinetypesQuery c) c.replyTo().tell(StatusReply.error(why));
  }

  /** Vac decides once a cycle (60 s): the safety tick, and the pause after a failed creation. */
  static final Duration DECISION_INTERVAL = Duration.ofSeconds(60);
  private static final Duration HOST_FACTS_MAX_AGE = Duration.ofSeconds(1);
  private static final String DECISION_TIMER = "decide";
  private static final String BACKOFF_TIMER = "backoff-ends";
  // Vac compares whole seconds: a backed-off type is eligible just after its restart second.
  private static final Duration AFTER_RESTART = Duration.ofMillis(50);

  private final ActorContext<Command> ctx;
  private final FactoryHost host;
  private final VacuumSettings settings;
  private final Clock clock;
  private final RandomGenerator random;
  private final TimerScheduler<Command> timers;
  // In-memory view, not persisted: times of the last heartbeat and the last answered query, the
  // slots as they last told, the slots being created now, and when creation may resume after a failure.
  private Instant factoryHeartbeat;
  private Instant responderHeartbeat;
  private HostFacts hostFacts;
  private Instant hostFactsAt;
  private final TreeMap<String, MachineStatus> slots = new TreeMap<>();
  private final Map<String, Creation> creating = new HashMap<>();
  private boolean reconciled;
  private Instant creationPausedUntil = Instant.MIN;
  // Per machinetype, its most recently created finished machine (Vac's finishes/TYPE), from the slots' word.
  private final Map<String, MachineStatus> finishes = new HashMap<>();
  // One decision at a time: a census is out; a trigger arrived meanwhile; the last stop reason logged.
  private boolean deciding;
  private boolean decideAgain;
  private String lastStop;

  private Factory(ActorContext<Command> ctx, TimerScheduler<Command> timers, FactoryHost host,
      RandomGenerator random) {
    super(PersistenceId.of(FactoryProtocol.ENTITY_KEY.name(), host.settings().factoryName()));
    this.ctx = ctx;
    this.host = host;
    this.settings = host.settings();
    this.clock = host.clock();
    this.random = random;
    this.timers = timers;
    for (int ordinal = 0; ordinal < settings.slots(); ordinal++) {
      String name = SlotNames.machineName(settings.factoryName(), ordinal);
      slots.put(name, MachineStatus.empty(name));
    }
    timers.startTimerWithFixedDelay(DECISION_TIMER, new DecisionTick(), DECISION_INTERVAL);
  }

  /** Every event is in the audit trail ({@link org.vacuum.journal.JournalTags}). */
  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return org.vacuum.journal.JournalTags.AUDIT_ONLY;
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
        .onCommand(MachinesQuery.class, this::onMachinesQuery)
        .onCommand(MachinetypesQuery.class, this::onMachinetypesQuery)
        .onCommand(CreateMachine.class, this::onCreateMachine)
        .onCommand(SlotChanged.class, this::onSlotChanged)
        .onCommand(SlotsReconciled.class, this::onSlotsReconciled)
        .onCommand(ConfigChanged.class, this::onConfigChanged)
        .onCommand(DecisionTick.class, (state, c) -> decide(state))
        .onCommand(CreationResult.class, this::onCreationResult)
        .onCommand(SpaceCensusAnswered.class, this::onSpaceCensus)
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
        .thenRun(s -> ctx.getSelf().tell(new DecisionTick()))
        .thenReply(c.replyTo(), s -> StatusReply.success(status(s)));
  }

  // -- machines --

  private ReplyEffect<Event, State> onMachinesQuery(State state, MachinesQuery c) {
    responderHeartbeat = clock.instant();
    if (!reconciled) {
      return Effect().reply(c.replyTo(), StatusReply.error(reconciling()));
    }
    long now = clock.instant().getEpochSecond();
    List<MachineStatus> all = new ArrayList<>();
    for (MachineStatus slot : slots.values()) {
      all.add(slot.withHeader(VacuumVersion.vacVersion(), VacuumVersion.daemonVersion(DAEMON),
          FactoryStatus.VACQUERY_VERSION, settings.space(), settings.factoryName(), site(), now, slots.size()));
    }
    return Effect().reply(c.replyTo(), StatusReply.success(new Machines(List.copyOf(all))));
  }

  /** VacQuery's machinetypes query: one reply per configured type, from the slots and finishes in memory. */
  private ReplyEffect<Event, State> onMachinetypesQuery(State state, MachinetypesQuery c) {
    responderHeartbeat = clock.instant();
    if (!reconciled) {
      return Effect().reply(c.replyTo(), StatusReply.error(reconciling()));
    }
    Optional<VacConf> conf = host.conf();
    if (conf.isEmpty()) {
      return Effect().reply(c.replyTo(), StatusReply.success(new Machinetypes(List.of())));
    }
    return Effect().reply(c.replyTo(),
        StatusReply.success(new Machinetypes(ownMachinetypes(conf.get(), clock.instant()))));
  }

  private ReplyEffect<Event, State> onCreateMachine(State state, CreateMachine c) {
    Optional<String> refusal = reconciled ? gate(state) : Optional.of(reconciling());
    Optional<Machinetype> type = host.machinetype(c.machinetype());
    if (refusal.isEmpty() && type.isEmpty()) {
      refusal = Optional.of("machinetype " + c.machinetype() + " is not configured on factory " + settings.factoryName());
    }
    Optional<String> slot = lowestFreeSlot();
    if (refusal.isEmpty() && slot.isEmpty()) {
      refusal = Optional.of("factory " + settings.factoryName() + " has no free slot");
    }
    if (refusal.isEmpty() && !c.userDataOptions().isEmpty() && type.get().userData() == null) {
      refusal = Optional.of("machinetype " + c.machinetype() + " on factory " + settings.factoryName()
          + " has no user_data, so user_data options " + new TreeSet<>(c.userDataOptions().keySet())
          + " cannot reach its machines");
    }
    int free = freeProcessors();
    if (refusal.isEmpty() && type.get().minProcessors() > free) {
      refusal = Optional.of("machinetype " + c.machinetype() + " needs " + type.get().minProcessors()
          + " processors and factory " + settings.factoryName() + " has " + free + " free");
    }
    if (refusal.isPresent()) {
      return Effect().reply(c.replyTo(), StatusReply.error(refusal.get()));
    }
    Machinetype t = type.get();
    long shutdownTime = clock.instant().getEpochSecond() + t.maxWallclockSeconds();
    Long global = host.conf().map(conf -> conf.settings().shutdownTime()).orElse(null);
    if (global != null && global < shutdownTime) {
      shutdownTime = global;
    }
    create(slot.get(), new Creation(t.name(), Math.min(free, t.maxProcessors()), shutdownTime,
        "requested by an operator"), c.replyTo(), c.userDataOptions());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> onSlotChanged(State state, SlotChanged c) {
    MachineStatus before = slots.put(c.status().machine(), c.status());
    MachinetypeStatuses.remember(finishes, c.status());
    boolean freed = before != null && before.occupied() && !c.status().occupied();
    if (freed && !creating.containsKey(c.status().machine())) {
      return decide(state);
    }
    return Effect().noReply();
  }

  /**
   * Until the node has reconciled the slots with the hypervisor, the slot view is only a list of
   * names: counting or filling from it would report running machines as empty slots.
   */
  private String reconciling() {
    return "factory " + settings.factoryName() + " is still reconciling its slots with the hypervisor; ask again shortly";
  }

  private ReplyEffect<Event, State> onSlotsReconciled(State state, SlotsReconciled c) {
    reconciled = true;
    return decide(state);
  }

  /** vac.conf was re-read: persist the outcome if it is new, then decide with it. */
  private ReplyEffect<Event, State> onConfigChanged(State state, ConfigChanged c) {
    Optional<String> error = host.confError();
    String fingerprint = host.conf().map(VacConf::fingerprint).orElse(null);
    if (error.isPresent()) {
      if (error.get().equals(state.configError())) {
        return Effect().noReply();
      }
      ctx.getLog().warn("vac.conf rejected, keeping the last good configuration: {}", error.get());
      return Effect().persist(new ConfigRejected(error.get(), clock.instant())).thenNoReply();
    }
    if (fingerprint == null || (fingerprint.equals(state.configFingerprint()) && state.configError() == null)) {
      return decide(state);
    }
    ctx.getLog().info("vac.conf applied: {} machinetypes", host.conf().get().machinetypes().size());
    return Effect().persist(new ConfigApplied(fingerprint, clock.instant()))
        .thenRun(s -> ctx.getSelf().tell(new DecisionTick()))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> onCreationResult(State state, CreationResult r) {
    creating.remove(r.machine());
    if (r.status() != null) {
      slots.put(r.machine(), r.status());
    }
    if (r.replyTo() != null) {
      r.replyTo().tell(r.error() == null ? StatusReply.success(r.status()) : StatusReply.error(r.error()));
    }
    Instant now = clock.instant();
    if (r.error() != null) {
      creationPausedUntil = now.plus(DECISION_INTERVAL);
      ctx.getLog().warn("creating a {} machine in {} failed: {}", r.machinetype(), r.machine(), r.error());
      return Effect().persist(new CreationFailed(r.machinetype(), r.error(), now)).thenNoReply();
    }
    creationPausedUntil = Instant.MIN;
    return Effect().persist(new CreationSucceeded(r.machine(), r.machinetype(), now))
        .thenRun(s -> ctx.getSelf().tell(new DecisionTick()))
        .thenNoReply();
  }

  /**
   * Starts a decision if creation may be possible: asks the space for its machinetype census,
   * whose answer ({@link SpaceCensusAnswered}) makes the choice. While one is out, further
   * triggers only ask for one more decision after it.
   */
  private ReplyEffect<Event, State> decide(State state) {
    Instant now = clock.instant();
    if (!reconciled || now.isBefore(creationPausedUntil) || gate(state).isPresent() || lowestFreeSlot().isEmpty()) {
      return Effect().noReply();
    }
    if (deciding) {
      decideAgain = true;
      return Effect().noReply();
    }
    deciding = true;
    ctx.pipeToSelf(Census.machinetypes(ctx.getSystem(), settings, Census.decisionDeadline(settings, host.conf())),
        (result, error) -> error != null ? new SpaceCensusAnswered(List.of(), List.of(), error.toString())
            : new SpaceCensusAnswered(result.machinetypes(), result.noReply(), null));
    return Effect().noReply();
  }

  /**
   * The census is back: plan with this factory's own counts from its slots (fresher than its
   * census answer) and the others' replies, create what the plan says, and wake up again when a
   * backed-off machinetype becomes eligible.
   */
  private ReplyEffect<Event, State> onSpaceCensus(State state, SpaceCensusAnswered c) {
    deciding = false;
    if (decideAgain) {
      decideAgain = false;
      ctx.getSelf().tell(new DecisionTick());
    }
    Instant now = clock.instant();
    if (c.error() != null) {
      ctx.getLog().warn("machinetype census of the space failed: {}", c.error());
    }
    Optional<VacConf> conf = host.conf();
    if (!reconciled || now.isBefore(creationPausedUntil) || conf.isEmpty()) {
      return Effect().noReply();
    }
    List<MachinetypeStatus> space = new ArrayList<>();
    for (var reply : c.machinetypes()) {
      if (!settings.factoryName().equals(reply.factory())) {
        space.add(reply);
      }
    }
    space.addAll(ownMachinetypes(conf.get(), now));
    int freeSlots = (int) slots.values().stream()
        .filter(s -> !s.occupied() && !creating.containsKey(s.machine())).count();
    CreationPlan.Plan plan = CreationPlan.decide(new CreationPlan.Inputs(conf.get(), space, occupied(conf.get()),
        freeSlots, host.totalProcessors(), HostLoad.read(), hostProcessors(), state.draining()), now, random);
    for (Creation creation : plan.creations()) {
      String slot = lowestFreeSlot().orElseThrow();
      ctx.getLog().info("creating a {} machine in {} with {} processors until {}: {}", creation.machinetype(), slot,
          creation.processors(), Instant.ofEpochSecond(creation.shutdownTime()), creation.reason());
      create(slot, creation, null);
    }
    String stop = plan.stopped() + (c.noReply().isEmpty() ? "" : " (no census reply from " + c.noReply() + ")");
    if (!stop.equals(lastStop) || !plan.creations().isEmpty()) {
      ctx.getLog().info("decision: {} created, then {}; {}", plan.creations().size(), stop, plan.standings());
      lastStop = stop;
    }
    plan.nextRestart().ifPresent(at -> timers.startSingleTimer(BACKOFF_TIMER, new DecisionTick(),
        Duration.between(now, at).plus(AFTER_RESTART)));
    return Effect().noReply();
  }

  /** Vac's creation gate (reference/vac.md §2.5) without the load checks, for this factory; empty when open. */
  private Optional<String> gate(State state) {
    Optional<VacConf> conf = host.conf();
    if (conf.isEmpty()) {
      return Optional.of("factory " + settings.factoryName() + " has no vac.conf in force");
    }
    return new CreationGate(usedProcessors(), -1, conf.get().settings().overloadPerProcessor(), hostProcessors(),
        conf.get().settings().shutdownTime(), state.draining() || conf.get().settings().draining(),
        host.totalProcessors())
        .check(clock.instant())
        .map(why -> "factory " + settings.factoryName() + ": " + why);
  }

  /** The host's processor count as Vac counts it ({@code /proc/cpuinfo}), read once. */
  private static int hostProcessors() {
    return HostProcessors.COUNT;
  }

  private static final class HostProcessors {
    static final int COUNT = count();

    private static int count() {
      int counted = Host.countProcessors(Path.of("/proc/cpuinfo"));
      return counted > 0 ? counted : Runtime.getRuntime().availableProcessors();
    }
  }

  /** This factory's own {@code machinetype_status} replies, from its slots as they stand now. */
  private List<MachinetypeStatus> ownMachinetypes(VacConf conf, Instant now) {
    MachinetypeStatuses.Header header = new MachinetypeStatuses.Header(VacuumVersion.vacVersion(),
        VacuumVersion.daemonVersion(DAEMON), FactoryStatus.VACQUERY_VERSION, settings.space(), settings.factoryName(),
        site());
    return MachinetypeStatuses.of(header, conf, view(), finishes, now.getEpochSecond());
  }

  /** This factory's starting and running machines with the shutdown times their superslots end at. */
  private List<CreationPlan.Occupied> occupied(VacConf conf) {
    List<CreationPlan.Occupied> own = new ArrayList<>();
    for (MachineStatus s : slots.values()) {
      Creation c = creating.get(s.machine());
      if (c != null) {
        own.add(new CreationPlan.Occupied(c.machinetype(), c.processors(), c.shutdownTime()));
      } else if (s.occupied()) {
        own.add(new CreationPlan.Occupied(s.machinetype(), s.numProcessors(), plannedShutdown(conf, s)));
      }
    }
    return own;
  }

  /** A machine's MJF shutdown time, as Vac reads it; else its creation plus max_wallclock_seconds. */
  private long plannedShutdown(VacConf conf, MachineStatus s) {
    var view = host.byOrdinal(SlotNames.ordinalOf(s.machine()));
    if (view.isPresent() && view.get().uuid().toString().equals(s.uuid())) {
      var t = view.get().directory().shutdownTime();
      if (t.isPresent()) {
        return t.getAsLong();
      }
    }
    Machinetype type = conf.machinetypes().get(s.machinetype());
    long created = s.createdTime() == null ? clock.instant().getEpochSecond() : s.createdTime();
    return created + (type == null ? 0 : type.maxWallclockSeconds());
  }

  private void create(String slot, Creation choice, ActorRef<StatusReply<MachineStatus>> replyTo) {
    create(slot, choice, replyTo, Map.of());
  }

  private void create(String slot, Creation choice, ActorRef<StatusReply<MachineStatus>> replyTo,
      Map<String, String> userDataOptions) {
    creating.put(slot, choice);
    ctx.pipeToSelf(
        ClusterSharding.get(ctx.getSystem()).entityRefFor(SlotProtocol.ENTITY_KEY, slot)
            .<MachineStatus>askWithStatus(r -> new SlotProtocol.Create(choice.machinetype(), choice.processors(),
                choice.shutdownTime(), userDataOptions, r), CREATE_TIMEOUT),
        (status, error) -> new CreationResult(slot, choice.machinetype(), status,
            error == null ? null : error.getMessage(), replyTo));
  }

  private Optional<String> lowestFreeSlot() {
    return slots.values().stream()
        .filter(s -> !s.occupied() && !creating.containsKey(s.machine()))
        .map(MachineStatus::machine)
        .findFirst();
  }

  private int usedProcessors() {
    int used = creating.values().stream().mapToInt(Creation::processors).sum();
    for (MachineStatus s : slots.values()) {
      if (s.occupied() && !creating.containsKey(s.machine())) {
        used += s.numProcessors();
      }
    }
    return used;
  }

  private int freeProcessors() {
    return host.totalProcessors() - usedProcessors();
  }

  /** The slots with the machines being created counted as Starting. */
  private List<MachineStatus> view() {
    List<MachineStatus> view = new ArrayList<>();
    for (MachineStatus s : slots.values()) {
      Creation c = creating.get(s.machine());
      view.add(c == null ? s : new MachineStatus(null, null, null, null, null, null, 0, 0, s.machine(),
          MachineStatus.STARTING, null, null, null, null, null, c.processors(), 0, 0, 0, c.machinetype(), null, null,
          null, null));
    }
    return view;
  }

  private String site() {
    return host.conf().map(c -> c.settings().gocdbSitename()).filter(x -> x != null).orElse(settings.site());
  }

  private ReplyEffect<Event, State> onQuery(State state, FactoryQuery c) {
    responderHeartbeat = clock.instant();
    return Effect().reply(c.replyTo(), StatusReply.success(status(state)));
  }

  private ReplyEffect<Event, State> onHeartbeat(State state, Heartbeat c) {
    factoryHeartbeat = clock.instant();
    return Effect().reply(c.replyTo(), StatusReply.ack());
  }

  /**
   * The host's disks, memory and load, read at most once per {@link #HOST_FACTS_MAX_AGE}: a census
   * from every factory's decision may arrive many times a second, and none of these figures means
   * more at a finer grain than that.
   */
  private HostFacts hostFacts() {
    Instant now = clock.instant();
    if (hostFacts == null || !now.isBefore(hostFactsAt.plus(HOST_FACTS_MAX_AGE))) {
      hostFacts = HostFacts.read(settings.stateDir());
      hostFactsAt = now;
    }
    return hostFacts;
  }

  /** The {@code factory_status} of now: settings, journal state, in-memory view and host facts. */
  private FactoryStatus status(State state) {
    HostFacts facts = hostFacts();
    int maxProcessors = host.totalProcessors();
    double hs06PerProcessor = host.conf().map(c -> c.settings().hs06PerProcessorOrDefault()).orElse(1.0);
    List<MachineStatus> running = slots.values().stream().filter(MachineStatus::occupied).toList();
    return new FactoryStatus(
        VacuumVersion.vacVersion(),
        VacuumVersion.daemonVersion(DAEMON),
        FactoryStatus.VACQUERY_VERSION,
        settings.space(),
        settings.factoryName(),
        site(),
        clock.instant().getEpochSecond(),
        running.stream().mapToInt(MachineStatus::numProcessors).sum(),
        running.size(),
        running.stream().mapToDouble(MachineStatus::hs06).sum(),
        maxProcessors,
        maxProcessors,
        maxProcessors * hs06PerProcessor,
        facts.root().availKb(),
        facts.root().availInodes(),
        facts.stateDir().availKb(),
        facts.stateDir().availInodes(),
        facts.loadAverage15(),
        facts.kernelVersion(),
        facts.osIssue(),
        facts.bootTime(),
        epoch(factoryHeartbeat),
        epoch(responderHeartbeat),
        host.mjfHeartbeat().map(Instant::getEpochSecond).orElse(null),
        host.metadataHeartbeat().map(Instant::getEpochSecond).orElse(null),
        facts.swapUsedKb(),
        facts.swapFreeKb(),
        facts.memUsedKb(),
        facts.memTotalKb(),
        state.draining() || host.conf().map(c -> c.settings().draining()).orElse(false),
        state.factoryError());
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
        .onEvent(ConfigApplied.class, (state, e) -> state.config(e.fingerprint(), null))
        .onEvent(ConfigRejected.class, (state, e) -> state.config(null, e.error()))
        .onEvent(CreationSucceeded.class, (state, e) -> state.creation(null))
        .onEvent(CreationFailed.class, (state, e) -> state.creation(e.error()))
        .build();
  }
}
