package org.vacuum.pilot;

import org.vacuum.protocol.pilot.PilotQueueProtocol;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.vacuum.config.VacuumSettings;
import org.vacuum.batch.sched.QueueCounts;
import org.vacuum.batch.sched.SchedChain;
import org.vacuum.batch.sched.SchedPlugin;
import org.vacuum.batch.submit.KillOrder;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.batch.submit.Submitter;
import org.vacuum.protocol.CborSerializable;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Command;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Configure;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Counts;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Event;
import org.vacuum.protocol.pilot.PilotQueueProtocol.GetCounts;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Internal;
import org.vacuum.protocol.pilot.PilotQueueProtocol.PilotStateObserved;
import org.vacuum.protocol.pilot.PilotQueueProtocol.PilotsRetired;
import org.vacuum.protocol.pilot.PilotQueueProtocol.PilotsSubmitted;
import org.vacuum.protocol.pilot.PilotQueueProtocol.QueueConfig;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Refresh;
import org.vacuum.protocol.pilot.PilotQueueProtocol.TargetChanged;

/**
 * One APF queue of a virtual cluster (reference/vc3.md §4.3): the pilots of one nodeset on one
 * allocation, id {@code <cluster>.<nodeset>.<allocation>}. Each cycle reads the batch status of
 * its pilots from the submitter, runs the sched chain ({@code KeepNRunning} with the target, then
 * what the configuration adds), and submits or — when the chain answers negative and the queue is
 * not peaceful — retires pilots in {@code killorder}.
 *
 * <p>Event-driven: a cycle runs at once when the target changes ({@code Configure}), and otherwise
 * every {@code vacuum.vc3.pilot-refresh} (the batch-status refresh). One cycle at a time. The
 * configuration (with the allocation's key) lives in memory only: the virtual cluster sends it on
 * every evaluation, so after a restart the queue waits for it before acting.
 */
public final class PilotQueue extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, PilotQueue.State> {

  /** What the journal knows of a queue. */
  public record State(int target, List<String> submitted, List<String> retired, Counts last)
      implements CborSerializable {
    static State empty(String queue) {
      return new State(0, List.of(), List.of(), new Counts(queue, 0, 0, 0, 0, 0, ""));
    }
  }

  private record CycleDone(List<String> submitted, List<String> retired, String message, Counts counts,
      String error) implements Internal {}

  private static final String REFRESH_TIMER = "refresh";

  /** Starts sharding for pilot queues on the control nodes. */
  public static void init(ActorSystem<?> system, Duration refresh) {
    init(system, refresh, Submitters.get(system));
  }

  /** Starts sharding for pilot queues whose pilots go where {@code submitters} says (tests: a stand-in). */
  public static void init(ActorSystem<?> system, Duration refresh, SubmitterLookup submitters) {
    ClusterSharding.get(system).init(Entity.of(PilotQueueProtocol.ENTITY_KEY, ctx -> create(ctx.getEntityId(), submitters, refresh))
        .withRole(VacuumSettings.CONTROL_ROLE));
  }

  static Behavior<Command> create(String queue, SubmitterLookup submitters, Duration refresh) {
    return Behaviors.setup(ctx -> Behaviors.withMdc(Command.class, Map.of("entity", "PilotQueue:" + queue),
        Behaviors.withTimers(timers -> {
          timers.startTimerWithFixedDelay(REFRESH_TIMER, new Refresh(), refresh);
          return new PilotQueue(queue, submitters, ctx);
        })));
  }

  private final String queue;
  private final SubmitterLookup submitters;
  private final ActorContext<Command> ctx;
  private final Executor blocking;
  private final Clock clock = Clock.systemUTC();
  private QueueConfig config;
  private boolean cycling;
  private boolean again;

  private PilotQueue(String queue, SubmitterLookup submitters, ActorContext<Command> ctx) {
    super(PersistenceId.of(PilotQueueProtocol.ENTITY_KEY.name(), queue));
    this.queue = queue;
    this.submitters = submitters;
    this.ctx = ctx;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Every event is in the audit trail ({@link org.vacuum.journal.JournalTags}). */
  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return org.vacuum.journal.JournalTags.AUDIT_ONLY;
  }

  @Override
  public State emptyState() {
    return State.empty(queue);
  }

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder().forAnyState()
        .onCommand(Configure.class, this::onConfigure)
        .onCommand(GetCounts.class, (s, c) -> Effect().reply(c.replyTo(), StatusReply.success(s.last())))
        .onCommand(Refresh.class, (s, c) -> {
          cycle(s);
          return Effect().noReply();
        })
        .onCommand(CycleDone.class, this::onCycleDone)
        .build();
  }

  private ReplyEffect<Event, State> onConfigure(State state, Configure c) {
    boolean first = config == null;
    config = c.config();
    if (c.config().keepRunning() == state.target() && !first) {
      return Effect().reply(c.replyTo(), StatusReply.success(state.last()));
    }
    if (c.config().keepRunning() == state.target()) {
      cycle(state);
      return Effect().reply(c.replyTo(), StatusReply.success(state.last()));
    }
    ctx.getLog().info("pilot queue {}: target {} -> {}", queue, state.target(), c.config().keepRunning());
    return Effect().persist(new TargetChanged(c.config().keepRunning(), clock.instant()))
        .thenRun(this::cycle)
        .thenReply(c.replyTo(), s -> StatusReply.success(s.last()));
  }

  /** One APF cycle off the actor thread: batch status, sched chain, submit or retire. */
  private void cycle(State state) {
    if (config == null) {
      return;
    }
    if (cycling) {
      again = true;
      return;
    }
    cycling = true;
    QueueConfig cfg = config;
    int target = state.target();
    List<String> journaled = state.submitted();
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> runCycle(cfg, target, journaled), blocking),
        (done, e) -> e == null ? done : new CycleDone(List.of(), List.of(), "", null, e.toString()));
  }

  private CycleDone runCycle(QueueConfig cfg, int target, List<String> journaled) {
    Submitter submitter = submitters.forConfig(cfg.submitter());
    submitter.recall(queue, journaled);
    Map<PilotId, PilotInfo> status = submitter.status(queue);
    int idle = count(status, PilotState.IDLE);
    int running = count(status, PilotState.RUNNING);
    int held = count(status, PilotState.HELD);
    int done = count(status, PilotState.DONE);
    Map<String, String> sched = new LinkedHashMap<>(cfg.sched());
    String extra = sched.remove("sched.extra");
    sched.put(SchedChain.SCHEDPLUGIN, "KeepNRunning" + (extra == null || extra.isBlank() ? "" : ", " + extra));
    sched.put("sched.keepnrunning.keep_running", String.valueOf(target));
    // APF counts held pilots as pending (its batch-status mapping).
    SchedPlugin.Result result = SchedChain.parse(sched).run(QueueCounts.of(idle + held, running, 0));
    List<String> submitted = new ArrayList<>();
    List<String> retired = new ArrayList<>();
    if (result.n() > 0) {
      Map<String, byte[]> files = new LinkedHashMap<>();
      cfg.pilot().files().forEach((name, content) -> files.put(name, Base64.getDecoder().decode(content)));
      PilotSpec spec = new PilotSpec(queue, cfg.pilot().command(), cfg.pilot().environment(), files,
          submitters.sandboxRoot(cfg.submitter()));
      submitter.submit(spec, result.n()).forEach(p -> submitted.add(p.name()));
    } else if (result.n() < 0 && !cfg.peaceful()) {
      List<PilotId> chosen = KillOrder.of(cfg.killorder() == null ? "newest" : cfg.killorder())
          .choose(status, -result.n());
      submitter.retire(chosen);
      chosen.forEach(p -> retired.add(p.name()));
    }
    Map<PilotId, PilotInfo> after = submitter.status(queue);
    Counts counts = new Counts(queue, target, count(after, PilotState.IDLE), count(after, PilotState.RUNNING),
        count(after, PilotState.HELD), count(after, PilotState.DONE), result.message());
    return new CycleDone(submitted, retired, result.message(), counts, null);
  }

  private static int count(Map<PilotId, PilotInfo> status, PilotState state) {
    return (int) status.values().stream().filter(i -> i.state() == state).count();
  }

  private ReplyEffect<Event, State> onCycleDone(State state, CycleDone d) {
    cycling = false;
    if (again) {
      again = false;
      ctx.getSelf().tell(new Refresh());
    }
    if (d.error() != null) {
      ctx.getLog().warn("pilot queue {}: cycle failed: {}", queue, d.error());
      return Effect().noReply();
    }
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    if (!d.submitted().isEmpty()) {
      ctx.getLog().info("pilot queue {}: submitted {} ({})", queue, d.submitted(), d.message());
      events.add(new PilotsSubmitted(d.submitted(), d.message(), now));
    }
    if (!d.retired().isEmpty()) {
      ctx.getLog().info("pilot queue {}: retired {} ({})", queue, d.retired(), d.message());
      events.add(new PilotsRetired(d.retired(), d.message(), now));
    }
    Counts last = state.last();
    Counts c = d.counts();
    if (c.idle() != last.idle() || c.running() != last.running() || c.held() != last.held() || c.done() != last.done()) {
      events.add(new PilotStateObserved(c.idle(), c.running(), c.held(), c.done(), now));
    }
    return events.isEmpty() ? Effect().noReply() : Effect().persist(events).thenNoReply();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState()
        .onEvent(TargetChanged.class, (s, e) -> new State(e.target(), s.submitted(), s.retired(),
            new Counts(queue, e.target(), s.last().idle(), s.last().running(), s.last().held(), s.last().done(),
                s.last().lastMessage())))
        .onEvent(PilotsSubmitted.class, (s, e) -> new State(s.target(), append(s.submitted(), e.pilots()), s.retired(),
            message(s, e.schedMessage())))
        .onEvent(PilotsRetired.class, (s, e) -> new State(s.target(), s.submitted(), append(s.retired(), e.pilots()),
            message(s, e.schedMessage())))
        .onEvent(PilotStateObserved.class, (s, e) -> new State(s.target(), s.submitted(), s.retired(),
            new Counts(queue, s.target(), e.idle(), e.running(), e.held(), e.done(), s.last().lastMessage())))
        .build();
  }

  private Counts message(State s, String message) {
    Counts l = s.last();
    return new Counts(queue, s.target(), l.idle(), l.running(), l.held(), l.done(), message);
  }

  private static List<String> append(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    // Keep the journal state bounded: the last 1000 pilot names are plenty for an operator.
    return List.copyOf(all.size() > 1000 ? all.subList(all.size() - 1000, all.size()) : all);
  }
}
