package org.vacuum.virtualcluster;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.PostStop;
import org.apache.pekko.actor.typed.PreRestart;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.batch.headnode.WorkQueueManager;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.batch.submit.PilotBootstrap;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.config.VacuumSettings;
import org.vacuum.infoservice.Evaluations;
import org.vacuum.infoservice.InfoChanges;
import org.vacuum.infoservice.InfoEntities;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.infoservice.InfoSecrets;
import org.vacuum.pilot.PilotQueue;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Configure;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Counts;
import org.vacuum.protocol.pilot.PilotQueueProtocol.PilotTemplate;
import org.vacuum.protocol.pilot.PilotQueueProtocol.QueueConfig;
import org.vacuum.protocol.pilot.PilotQueueProtocol.SubmitterConfig;
import org.vacuum.protocol.pilot.PilotQueueProtocol;
import org.vacuum.virtualcluster.HeadNodeTransitions.HeadNode;
import org.vacuum.virtualcluster.HeadNodeTransitions.Step;
import org.vacuum.virtualcluster.VirtualClusterTransitions.Input;
import org.vacuum.virtualcluster.VirtualClusterTransitions.Outcome;
import org.vacuum.virtualcluster.VirtualClusterTransitions.State;

/**
 * Drives every virtual cluster (VC3's request) through its lifecycle (reference/vc3.md §2.4–2.6;
 * the decisions are {@link VirtualClusterTransitions}', {@link HeadNodeTransitions}' and {@link
 * StaticBalancedPolicy}'s, or {@link DemandPolicy}'s when the cluster's {@code policy} is {@code
 * demand}): validates a new cluster, starts its head node, keeps one {@link
 * PilotQueue} per worker nodeset × allocation at the policy's target, follows the workers, and on
 * {@code terminate} (or expiry) retires every pilot, stops the head node and ends {@code
 * terminated}; {@code relaunch} starts it again.
 *
 * <p>The head node is a process on this control node: for {@code workqueue} a Work Queue manager
 * (project = the cluster's name, a fresh password, its address in the head-node nodeset's {@code
 * app_host}/{@code app_port}); for {@code generic} there is nothing to run. Pilots run where their
 * allocation's resource says ({@code local}: this node's processes; {@code accessflavor vac}:
 * machines of the machinetype {@code cloudinstancetype} on the space's factories).
 *
 * <p>Nothing blocks the actor: an evaluation runs as a chain of asks and hands its decision back
 * as a message; starting and stopping a head node's manager (a process start, a wait for its
 * exit) and reading its status run on the blocking executor, their outcome piped back. Each
 * evaluation also writes what the cluster's pilot queues report: {@code statusraw} per queue and
 * {@code statusinfo} per nodeset ({@link StatusSummary}), none while the cluster initializes.
 *
 * <p>Event-driven: every change of a VC3 object re-evaluates the clusters ({@link InfoChanges}):
 * a cluster's own change that cluster, any other change every cluster; the lifecycle's own writes
 * (a cluster's state and status, head-node records) re-evaluate nothing, an evaluation asking for
 * the next itself when the cluster or its head node moved on;
 * a tick ({@code vacuum.vc3.tick}) covers what is time-based (expiry, head-node contact, pilot
 * counts). One instance in the cluster (a singleton on the control role); head-node processes and
 * their trackers are in memory, so a restart of the control node restarts head nodes (as VC3's
 * master lost its trackers).
 */
public final class VirtualClusterLifecycle {

  public sealed interface Message permits Changed, Evaluate, Evaluated, Tick, HeadNodeStarted, HeadNodeStopped {}

  private record Changed(InfoChanges.Changed change) implements Message {}

  private record Evaluate(String cluster) implements Message {}

  /** An evaluation ended: with its decision, with none (the cluster is gone), or failed. */
  private record Evaluated(String cluster, Decision decision, Throwable failure) implements Message {}

  private enum Tick implements Message { INSTANCE }

  /** A head node's manager was started (on the blocking executor), or could not be. */
  private record HeadNodeStarted(String cluster, WorkQueueManager manager, byte[] password, Throwable failure)
      implements Message {}

  /** A head node's manager has stopped (on the blocking executor). */
  private record HeadNodeStopped(String cluster, String project, Throwable failure) implements Message {}

  /** Told of every evaluation as it starts (tests count them); called on the actor's thread. */
  @FunctionalInterface
  interface EvaluationObserver {
    EvaluationObserver NONE = cluster -> { };

    void started(String cluster);
  }

  /** Starts a Work Queue manager and returns once it listens; blocks, so it runs on the blocking executor. */
  @FunctionalInterface
  interface ManagerLauncher {
    WorkQueueManager start(WorkQueueManager.Settings settings) throws IOException;
  }

  private static final Logger log = LoggerFactory.getLogger(VirtualClusterLifecycle.class);
  private static final Duration ASK = Duration.ofSeconds(15);
  private static final SecureRandom RANDOM = new SecureRandom();
  /** The factory name under which {@code statusraw} shows the queues (all run by this lifecycle). */
  static final String STATUS_FACTORY = InfoEntities.SYSTEM;

  /**
   * What this lifecycle knows of a cluster's head node, owned by the actor (an evaluation reads
   * the value it started with): the head node's lifecycle state, the manager once started (with
   * its password), whether a start or a stop is in flight, and why the last start failed.
   */
  private record HeadNodeRuntime(HeadNode headNode, WorkQueueManager manager, byte[] password, boolean starting,
      String bootFailure, boolean stopping) {
    static final HeadNodeRuntime NONE = new HeadNodeRuntime(null, null, null, false, null, false);

    HeadNodeRuntime withHeadNode(HeadNode h) {
      return new HeadNodeRuntime(h, manager, password, starting, h == null ? null : bootFailure, stopping);
    }

    HeadNodeRuntime startRequested() {
      return new HeadNodeRuntime(headNode, null, null, true, null, stopping);
    }

    HeadNodeRuntime started(WorkQueueManager m, byte[] pw) {
      return new HeadNodeRuntime(headNode, m, pw, false, null, stopping);
    }

    HeadNodeRuntime startFailed(String why) {
      return new HeadNodeRuntime(headNode, null, null, false, why, stopping);
    }

    HeadNodeRuntime stopRequested() {
      return new HeadNodeRuntime(headNode, null, null, starting, bootFailure, true);
    }

    HeadNodeRuntime stopped() {
      return new HeadNodeRuntime(headNode, manager, password, starting, bootFailure, false);
    }

    /** Whether a manager of this cluster may still be running (the head node is not gone yet). */
    boolean managerAround() {
      return manager != null || starting || stopping;
    }
  }

  /**
   * What an evaluation decided about the head node, carried out by the actor: the head node's new
   * state (null: forgotten, e.g. relaunched), whether to start or stop its manager, and whether
   * the cluster should be evaluated again at once (its state or its head node's moved on).
   */
  private record Decision(HeadNode headNode, boolean boot, boolean destroy, boolean again) {}

  private final ActorContext<Message> ctx;
  private final ActorRef<Message> self;
  private final InfoEntities info;
  private final ClusterSharding sharding;
  private final Path headNodeRoot;
  private final ManagerLauncher launcher;
  private final EvaluationObserver observer;
  private final Executor blocking;
  private final Evaluations evaluations = new Evaluations();
  private final Map<String, HeadNodeRuntime> headNodes = new HashMap<>();

  private VirtualClusterLifecycle(ActorContext<Message> ctx, Path stateDir, ManagerLauncher launcher,
      EvaluationObserver observer) {
    this.ctx = ctx;
    this.self = ctx.getSelf();
    this.info = InfoEntities.get(ctx.getSystem());
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.headNodeRoot = stateDir.resolve("headnodes");
    this.launcher = launcher;
    this.observer = observer;
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Starts the lifecycle (a cluster singleton on the control role) and the pilot queues. */
  public static void init(ActorSystem<?> system, VacuumSettings settings, Duration tick, Duration pilotRefresh) {
    PilotQueue.init(system, pilotRefresh);
    ClusterSingleton.get(system).init(SingletonActor.of(
            Behaviors.supervise(create(settings.stateDir(), tick, WorkQueueManager::start))
                .onFailure(SupervisorStrategy.restart()),
            "virtual-cluster-lifecycle")
        .withSettings(ClusterSingletonSettings.create(system).withRole(VacuumSettings.CONTROL_ROLE)));
  }

  static Behavior<Message> create(Path stateDir, Duration tick, ManagerLauncher launcher) {
    return create(stateDir, tick, launcher, EvaluationObserver.NONE);
  }

  static Behavior<Message> create(Path stateDir, Duration tick, ManagerLauncher launcher,
      EvaluationObserver observer) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      InfoChanges.get(ctx.getSystem()).subscribe(ctx.messageAdapter(InfoChanges.Changed.class, Changed::new));
      timers.startTimerWithFixedDelay(Tick.INSTANCE, tick);
      VirtualClusterLifecycle lifecycle = new VirtualClusterLifecycle(ctx, stateDir, launcher, observer);
      return lifecycle.behavior();
    }));
  }

  private Behavior<Message> behavior() {
    return Behaviors.receive(Message.class)
        .onMessage(Changed.class, c -> {
          String kind = c.change().kind();
          boolean own = c.change().bySystem()
              && (kind.equals(InfoKind.VIRTUAL_CLUSTER.key()) || kind.equals(InfoKind.NODESET.key()));
          if (own) {
            // This lifecycle's own write (a cluster's state and status, a head-node record): the
            // evaluation that made it already asked for whatever must follow (Decision.again).
          } else if (kind.equals(InfoKind.VIRTUAL_CLUSTER.key())) {
            evaluate(c.change().name());
          } else {
            // A project, template, nodeset, environment, allocation or user may be any cluster's.
            everyCluster();
          }
          return Behaviors.same();
        })
        .onMessage(Tick.class, t -> {
          everyCluster();
          return Behaviors.same();
        })
        .onMessage(Evaluate.class, e -> {
          evaluate(e.cluster());
          return Behaviors.same();
        })
        .onMessage(Evaluated.class, e -> {
          boolean again = false;
          if (e.failure() != null) {
            log.warn("virtual cluster {}: {}", e.cluster(), InfoEntities.unwrap(e.failure()).toString());
          } else {
            again = carryOut(e.cluster(), e.decision());
          }
          if (evaluations.finished(e.cluster()) || again) {
            evaluate(e.cluster());
          }
          return Behaviors.same();
        })
        .onMessage(HeadNodeStarted.class, this::onHeadNodeStarted)
        .onMessage(HeadNodeStopped.class, this::onHeadNodeStopped)
        .onSignal(PostStop.class, s -> stopAll())
        .onSignal(PreRestart.class, s -> stopAll())
        .build();
  }

  /**
   * Stopping or restarting: the managers are in this instance's memory only, so they go with it.
   * Not waited for: each is told to stop on the blocking executor (and ends with this JVM in any
   * case, its stdin closing).
   */
  private Behavior<Message> stopAll() {
    headNodes.values().forEach(h -> {
      if (h.manager() != null) stopInBackground(h.manager());
    });
    return Behaviors.same();
  }

  /** Applies an evaluation's decision; true if the cluster should be evaluated again at once. */
  private boolean carryOut(String cluster, Decision d) {
    HeadNodeRuntime r = headNodes.getOrDefault(cluster, HeadNodeRuntime.NONE);
    if (d == null) {
      // The cluster was deleted: nothing may keep running for it.
      if (r.manager() != null) {
        stop(cluster, r.manager());
      }
      headNodes.remove(cluster);
      return false;
    }
    r = r.withHeadNode(d.headNode());
    if (d.boot() && r.manager() == null && !r.starting()) {
      r = r.startRequested();
      start(cluster);
    }
    if (d.destroy() && (r.manager() != null || r.starting())) {
      if (r.manager() != null) {
        stop(cluster, r.manager());
      }
      r = r.stopRequested();
    }
    headNodes.put(cluster, r);
    return d.again();
  }

  private void start(String cluster) {
    byte[] random = new byte[24];
    RANDOM.nextBytes(random);
    byte[] password = Base64.getEncoder().encode(random);
    WorkQueueManager.Settings settings = WorkQueueManager.Settings.local(headNodeRoot.resolve(cluster), cluster,
        password);
    ctx.pipeToSelf(CompletableFuture.supplyAsync(() -> {
      try {
        return launcher.start(settings);
      } catch (IOException e) {
        throw new CompletionException(e);
      }
    }, blocking), (manager, e) -> new HeadNodeStarted(cluster, manager, password, e));
  }

  private void stop(String cluster, WorkQueueManager manager) {
    ctx.pipeToSelf(CompletableFuture.runAsync(manager::stop, blocking),
        (done, e) -> new HeadNodeStopped(cluster, manager.project(), e));
  }

  private void stopInBackground(WorkQueueManager manager) {
    try {
      CompletableFuture.runAsync(manager::stop, blocking);
    } catch (RejectedExecutionException e) {
      // The system is going down: the manager ends when this JVM's end closes its stdin.
      log.info("work queue manager {} left to end with this node", manager.project());
    }
  }

  private Behavior<Message> onHeadNodeStarted(HeadNodeStarted s) {
    HeadNodeRuntime r = headNodes.get(s.cluster());
    boolean wanted = r != null && r.starting() && r.headNode() != null
        && r.headNode().state() != HeadNodeTransitions.State.TERMINATED;
    if (s.failure() != null) {
      String why = InfoEntities.unwrap(s.failure()).getMessage();
      log.warn("virtual cluster {}: head node not started: {}", s.cluster(), why);
      if (r != null) {
        headNodes.put(s.cluster(), wanted ? r.startFailed(why) : r.startFailed(why).stopped());
      }
    } else if (!wanted) {
      // Finished, relaunched or deleted while it started: it must not keep running.
      log.info("virtual cluster {}: head node started after it was given up; stopping it", s.cluster());
      stop(s.cluster(), s.manager());
      if (r != null) {
        headNodes.put(s.cluster(), r.startFailed(null).stopRequested());
      }
    } else {
      log.info("virtual cluster {}: head node (Work Queue manager {}) on {}:{}", s.cluster(), s.cluster(),
          s.manager().host(), s.manager().port());
      headNodes.put(s.cluster(), r.started(s.manager(), s.password()));
    }
    evaluate(s.cluster());
    return Behaviors.same();
  }

  private Behavior<Message> onHeadNodeStopped(HeadNodeStopped s) {
    if (s.failure() != null) {
      log.warn("virtual cluster {}: head node {} did not stop cleanly: {}", s.cluster(), s.project(),
          InfoEntities.unwrap(s.failure()).getMessage());
    }
    HeadNodeRuntime r = headNodes.get(s.cluster());
    if (r != null) {
      headNodes.put(s.cluster(), r.stopped());
      evaluate(s.cluster());
    }
    return Behaviors.same();
  }

  private void everyCluster() {
    info.list(InfoKind.VIRTUAL_CLUSTER).whenComplete((all, e) -> {
      if (e == null) {
        all.forEach(c -> self.tell(new Evaluate(c.name())));
      }
    });
  }

  private void evaluate(String cluster) {
    if (!evaluations.start(cluster)) {
      return;
    }
    observer.started(cluster);
    HeadNodeRuntime runtime = headNodes.getOrDefault(cluster, HeadNodeRuntime.NONE);
    ctx.pipeToSelf(step(cluster, runtime), (decision, e) -> new Evaluated(cluster, decision, e));
  }

  // ---- one evaluation (off the actor thread: reads its runtime value, uses only `info`,
  // `sharding` and `blocking`, and returns its decision to the actor) ------------------------------

  /** Everything an evaluation reads about a cluster. */
  private record View(InfoObject cluster, Optional<InfoObject> project, Map<String, InfoObject> users,
      Map<String, InfoObject> allocations, Map<String, InfoObject> resources, Map<String, InfoObject> nodeinfo,
      List<InfoObject> nodesets, Map<String, InfoObject> environments, List<StatusSummary.QueueStatus> queues) {}

  private CompletionStage<Decision> step(String name, HeadNodeRuntime runtime) {
    return info.find(InfoKind.VIRTUAL_CLUSTER, name).thenCompose(found -> found.isEmpty()
        ? CompletableFuture.<Decision>completedFuture(null)
        : load(found.get()).thenCompose(view -> decide(view, runtime)));
  }

  private CompletionStage<View> load(InfoObject cluster) {
    String projectName = InfoKind.VIRTUAL_CLUSTER.text(cluster, "project");
    List<String> allocationNames = texts(InfoKind.VIRTUAL_CLUSTER.value(cluster, "allocations"));
    String templateName = InfoKind.VIRTUAL_CLUSTER.text(cluster, "cluster");
    CompletableFuture<Optional<InfoObject>> project = find(InfoKind.PROJECT, projectName);
    CompletableFuture<Map<String, InfoObject>> allocations = findAll(InfoKind.ALLOCATION, allocationNames);
    CompletableFuture<List<InfoObject>> nodesets = find(InfoKind.TEMPLATE, templateName).thenCompose(t -> t
        .map(template -> findAll(InfoKind.NODESET, texts(InfoKind.TEMPLATE.value(template, "nodesets")))
            .thenApply(m -> List.copyOf(m.values())))
        .orElse(CompletableFuture.completedFuture(List.of())));
    return project.thenCompose(p -> {
      List<String> members = p.map(o -> texts(InfoKind.PROJECT.value(o, "members"))).orElse(List.of());
      CompletableFuture<Map<String, InfoObject>> users = findAll(InfoKind.USER, members);
      return allocations.thenCompose(a -> {
        List<String> resourceNames = a.values().stream()
            .map(o -> InfoKind.ALLOCATION.text(o, "resource")).filter(r -> r != null).distinct().toList();
        return findAll(InfoKind.RESOURCE, resourceNames).thenCompose(resources -> findAll(InfoKind.NODEINFO,
            resources.values().stream().map(r -> InfoKind.RESOURCE.text(r, "nodeinfo")).filter(n -> n != null)
                .distinct().toList()).thenCompose(nodeinfo -> nodesets.thenCompose(ns -> {
          List<String> envNames = new ArrayList<>(texts(InfoKind.VIRTUAL_CLUSTER.value(cluster, "environments")));
          ns.forEach(n -> {
            String e = InfoKind.NODESET.text(n, "environment");
            if (e != null && !envNames.contains(e)) envNames.add(e);
          });
          return findAll(InfoKind.ENVIRONMENT, envNames).thenCompose(envs -> counts(cluster.name(), ns, a.keySet())
              .thenCombine(users, (queues, u) -> new View(cluster, p, u, a, resources, nodeinfo, ns, envs, queues)));
        })));
      });
    });
  }

  private CompletionStage<Decision> decide(View v, HeadNodeRuntime runtime) {
    InfoObject c = v.cluster();
    String name = c.name();
    Instant now = Instant.now();
    State state = State.valueOf(InfoKind.VIRTUAL_CLUSTER.text(c, "state").toUpperCase(Locale.ROOT));
    Input in = Input.of(name, state, now).withReason(InfoKind.VIRTUAL_CLUSTER.text(c, "state_reason"));
    String action = InfoKind.VIRTUAL_CLUSTER.text(c, "action");
    if (action != null) {
      in = in.withAction(VirtualClusterTransitions.Action.valueOf(action.toUpperCase(Locale.ROOT)));
    }
    String expiration = InfoKind.VIRTUAL_CLUSTER.text(c, "expiration");
    if (expiration != null) {
      in = in.withExpiration(LocalDateTime.parse(expiration).toInstant(ZoneOffset.UTC));
    }
    if (state == State.NEW) {
      in = in.withValidationProblems(problems(v));
    }
    List<InfoObject> workers = v.nodesets().stream()
        .filter(n -> !"head-node".equals(InfoKind.NODESET.text(n, "app_role"))).toList();
    List<StaticBalancedPolicy.Nodeset> policyNodesets = workers.stream()
        .map(n -> new StaticBalancedPolicy.Nodeset(n.name(), InfoKind.NODESET.value(n, "node_number").asInt(0)))
        .toList();
    List<String> allocations = texts(InfoKind.VIRTUAL_CLUSTER.value(c, "allocations"));

    // The head node: advance its lifecycle with what can be observed now.
    HeadNode head = runtime.headNode();
    boolean boot = false;
    boolean destroy = false;
    if (head == null && state == State.INITIALIZING) {
      Step step = HeadNodeTransitions.create(now);
      head = step.headNode();
      if (isGeneric(v)) {
        // Nothing to run: booted at once.
        head = next(head, new HeadNodeTransitions.BootStarted(), now);
      } else {
        boot = step.effects().contains(HeadNodeTransitions.Effect.BOOT);
      }
    } else if (head != null) {
      boolean finished = state == State.CLEANUP || state == State.TERMINATED;
      HeadNodeTransitions.Observation seen = finished ? new HeadNodeTransitions.ClusterFinished()
          : head.state() == HeadNodeTransitions.State.NEW && runtime.manager() != null
              ? new HeadNodeTransitions.BootStarted()
          : head.state() == HeadNodeTransitions.State.NEW && runtime.bootFailure() != null
              ? new HeadNodeTransitions.BootFailed(runtime.bootFailure())
          : runtime.manager() != null || isGeneric(v) ? new HeadNodeTransitions.Contacted(now)
          : new HeadNodeTransitions.Tick();
      Step step = HeadNodeTransitions.next(head, seen, now, HeadNodeTransitions.Settings.VC3_DEFAULTS);
      head = step.headNode();
      if (step.effects().contains(HeadNodeTransitions.Effect.START_CONFIGURE)) {
        // A local manager needs no configuring: it runs once it listens.
        head = next(head, new HeadNodeTransitions.ConfigureSucceeded(), now);
      }
      destroy = step.effects().contains(HeadNodeTransitions.Effect.DESTROY);
    }
    // A head node whose manager still runs (or is stopping) is not gone yet: cleanup waits for it.
    boolean headGone = head == null
        || head.state() == HeadNodeTransitions.State.TERMINATED && !destroy && !runtime.managerAround();
    if (!headGone) {
      in = in.withHeadNode(head.state(), head.reason());
    }
    // The state machine reads the summary's sums over nodesets, as VC3's read its statusinfo.
    Optional<VirtualClusterTransitions.WorkerCounts> workerCounts =
        StatusSummary.workers(StatusSummary.summarize(policyNodesets, v.queues(), state));
    if (state.generatesQueues() && workerCounts.isPresent()) {
      VirtualClusterTransitions.WorkerCounts w = workerCounts.get();
      in = in.withWorkers(w.running(), w.idle(), w.requested());
    }
    Outcome out = VirtualClusterTransitions.next(in);

    Map<String, Object> changes = new LinkedHashMap<>();
    changes.put("state", out.state().vc3Name());
    changes.put("state_reason", out.reason());
    if (out.actionConsumed()) {
      changes.put("action", out.action().map(a -> a.name().toLowerCase(Locale.ROOT)).orElse("new"));
    }
    // What users read: the counts per queue (statusraw) and per nodeset (statusinfo), none while
    // the cluster initializes.
    Optional<Map<String, StatusSummary.NodesetStatus>> summary =
        StatusSummary.summarize(policyNodesets, v.queues(), out.state());
    changes.put("statusinfo", summary.map(VirtualClusterLifecycle::statusInfo).orElse(null));
    changes.put("statusraw", summary.isPresent() ? statusRaw(v.queues()) : null);
    if (out.state() == State.INITIALIZING && InfoKind.VIRTUAL_CLUSTER.text(c, "headnode") == null) {
      changes.put("headnode", VirtualClusterTransitions.headNodeName(name));
    }
    HeadNode recorded = head;
    boolean headMoved = head == null ? runtime.headNode() != null
        : runtime.headNode() == null || head.state() != runtime.headNode().state();
    if (out.state() == State.NEW && state != State.NEW) {
      // Relaunched: a new head node next time round.
      head = null;
    }
    if (out.state() != state) {
      log.info("virtual cluster {}: {} -> {} ({})", name, state.vc3Name(), out.state().vc3Name(), out.reason());
    }
    CompletionStage<?> stored = recordHeadNode(name, runtime, recorded, destroy, v)
        .thenCompose(x -> info.systemUpdate(InfoKind.VIRTUAL_CLUSTER, name, changes, null));
    if (out.state().generatesQueues() || state.generatesQueues()) {
      State sizing = out.state().generatesQueues() ? out.state() : State.TERMINATING;
      WorkQueueManager manager = runtime.manager();
      boolean demand = "demand".equals(InfoKind.VIRTUAL_CLUSTER.text(c, "policy")) && manager != null;
      stored = stored.thenCompose(x -> demand
              // The manager's status is a file read: on the blocking executor.
              ? CompletableFuture.supplyAsync(() -> demandTargets(policyNodesets, allocations, sizing, manager),
                  blocking)
              : CompletableFuture.completedFuture(StaticBalancedPolicy.targets(policyNodesets, allocations, sizing)))
          .thenCompose(targets -> configureQueues(v, runtime, workers, targets));
    }
    // A state reached may be processed further at once (VC3's chained handlers), as may a head
    // node that moved on.
    Decision decision = new Decision(head, boot, destroy, out.state() != state || headMoved);
    return stored.thenApply(x -> decision);
  }

  private static HeadNode next(HeadNode h, HeadNodeTransitions.Observation seen, Instant now) {
    return HeadNodeTransitions.next(h, seen, now, HeadNodeTransitions.Settings.VC3_DEFAULTS).headNode();
  }

  /** The demand policy's targets from what the head node's manager reports now. */
  private static List<StaticBalancedPolicy.QueueTarget> demandTargets(List<StaticBalancedPolicy.Nodeset> nodesets,
      List<String> allocations, State state, WorkQueueManager manager) {
    var status = manager.status();
    return DemandPolicy.targets(nodesets, allocations, state,
        new DemandPolicy.Demand(status.tasksRunning(), status.tasksWaiting()), 1);
  }

  /** Sends every queue of the cluster its target and configuration. */
  private CompletionStage<Void> configureQueues(View v, HeadNodeRuntime runtime, List<InfoObject> workers,
      List<StaticBalancedPolicy.QueueTarget> targets) {
    List<CompletableFuture<Counts>> asks = new ArrayList<>();
    for (StaticBalancedPolicy.QueueTarget t : targets) {
      InfoObject nodeset = workers.stream().filter(n -> n.name().equals(t.nodeset())).findFirst().orElseThrow();
      InfoObject allocation = v.allocations().get(t.allocation());
      if (allocation == null) {
        continue;
      }
      String queue = t.queueName(v.cluster().name());
      QueueConfig config;
      try {
        config = queueConfig(v, runtime, nodeset, allocation, queue, t.keepRunning());
      } catch (RuntimeException e) {
        log.warn("virtual cluster {}: queue {} cannot be configured: {}", v.cluster().name(), queue, e.getMessage());
        continue;
      }
      asks.add(sharding.entityRefFor(PilotQueueProtocol.ENTITY_KEY, queue)
          .<Counts>askWithStatus(r -> new Configure(config, r), ASK).toCompletableFuture());
    }
    return CompletableFuture.allOf(asks.toArray(CompletableFuture[]::new));
  }

  private QueueConfig queueConfig(View v, HeadNodeRuntime runtime, InfoObject nodeset, InfoObject allocation,
      String queue, int keepRunning) {
    InfoObject resource = v.resources().get(InfoKind.ALLOCATION.text(allocation, "resource"));
    SubmitterConfig submitter = submitter(resource, allocation, InfoSecrets.get(ctx.getSystem()));
    List<PilotBootstrap.Environment> environments = new ArrayList<>();
    List<String> envNames = new ArrayList<>(texts(InfoKind.VIRTUAL_CLUSTER.value(v.cluster(), "environments")));
    String own = InfoKind.NODESET.text(nodeset, "environment");
    if (own != null && !envNames.contains(own)) envNames.add(own);
    for (String e : envNames) {
      InfoObject env = v.environments().get(e);
      if (env != null) environments.add(environment(env));
    }
    String appType = InfoKind.NODESET.text(nodeset, "app_type");
    String killorder = InfoKind.NODESET.text(nodeset, "app_killorder");
    PilotBootstrap.Payload payload;
    if ("workqueue".equals(appType)) {
      WorkQueueManager manager = runtime.manager();
      if (manager == null) {
        // No head node (yet, or any more): no worker can be pointed anywhere, so the queue keeps
        // none; its pilot command is never run with a target of 0.
        return new QueueConfig(v.cluster().name(), nodeset.name(), allocation.name(), 0, Map.of(),
            killorder == null ? "newest" : killorder, false, submitter,
            new PilotTemplate(List.of("/bin/false"), Map.of(), Map.of()));
      }
      int cores = Math.max(1, nodeinfo(v, resource).map(n -> InfoKind.NODEINFO.value(n, "cores").asInt(1)).orElse(1));
      int memory = nodeinfo(v, resource).map(n -> InfoKind.NODEINFO.value(n, "memory_mb").asInt(1024)).orElse(1024);
      int disk = nodeinfo(v, resource).map(n -> InfoKind.NODEINFO.value(n, "storage_mb").asInt(1024)).orElse(1024);
      JsonNode linger = InfoKind.NODESET.value(nodeset, "app_lingertime");
      payload = new PilotBootstrap.WorkQueueWorker(manager.host(), manager.port(), manager.project(),
          Optional.empty(), runtime.password(), cores, memory * cores, disk,
          linger.isNull() ? OptionalInt.empty() : OptionalInt.of(linger.asInt()));
    } else {
      payload = new PilotBootstrap.Generic();
    }
    PilotSpec spec = PilotBootstrap.build(queue, Path.of("/"), environments, payload);
    // As VC3's master: workers are removed non-peacefully whatever the nodeset says (§8).
    return new QueueConfig(v.cluster().name(), nodeset.name(), allocation.name(), keepRunning, Map.of(),
        killorder == null ? "newest" : killorder, false, submitter,
        new PilotTemplate(spec.command(), spec.environment(), base64(spec.files())));
  }

  /** The resource's node description; VC3's defaults (1 core, 1024 MB) apply without one. */
  private static Optional<InfoObject> nodeinfo(View v, InfoObject resource) {
    String name = resource == null ? null : InfoKind.RESOURCE.text(resource, "nodeinfo");
    return Optional.ofNullable(name == null ? null : v.nodeinfo().get(name));
  }

  private static SubmitterConfig submitter(InfoObject resource, InfoObject allocation, InfoSecrets secrets) {
    if (resource == null) {
      throw new IllegalArgumentException("allocation " + allocation.name() + " has no known resource");
    }
    String method = InfoKind.RESOURCE.text(resource, "accessmethod");
    String type = InfoKind.RESOURCE.text(resource, "accesstype");
    if ("vac".equals(InfoKind.RESOURCE.text(resource, "accessflavor"))) {
      // Machines of this space's factories: no host or account, the machinetype is the instance type.
      String machinetype = InfoKind.RESOURCE.text(resource, "cloudinstancetype");
      if (machinetype == null || machinetype.isBlank()) {
        throw new IllegalArgumentException("resource " + resource.name()
            + " has accessflavor vac but no cloudinstancetype (the machinetype of its pilots)");
      }
      return SubmitterConfig.vac(machinetype);
    }
    if ("local".equals(method) || "local".equals(type)) {
      return new SubmitterConfig("local", "localhost", 0, null, null, null);
    }
    String flavor = InfoKind.RESOURCE.text(resource, "accessflavor");
    String privtoken = secrets.reveal(InfoKind.ALLOCATION.text(allocation, "privtoken"));
    JsonNode port = InfoKind.RESOURCE.value(resource, "accessport");
    return new SubmitterConfig(flavor == null ? "fork" : flavor, InfoKind.RESOURCE.text(resource, "accesshost"),
        port.isNull() ? 22 : port.asInt(), InfoKind.ALLOCATION.text(allocation, "accountname"),
        privtoken == null ? null : SshKeys.decodeToken("privtoken", privtoken),
        InfoKind.RESOURCE.text(resource, "scratchdir"));
  }

  private static PilotBootstrap.Environment environment(InfoObject env) {
    Map<String, String> envmap = new LinkedHashMap<>();
    InfoKind.ENVIRONMENT.value(env, "envmap").fields().forEachRemaining(f -> envmap.put(f.getKey(), f.getValue().asText()));
    Map<String, byte[]> files = new LinkedHashMap<>();
    InfoKind.ENVIRONMENT.value(env, "files").fields()
        .forEachRemaining(f -> files.put(f.getKey(), Base64.getMimeDecoder().decode(f.getValue().asText())));
    return new PilotBootstrap.Environment(env.name(), envmap, files,
        texts(InfoKind.ENVIRONMENT.value(env, "packagelist")),
        Optional.ofNullable(InfoKind.ENVIRONMENT.text(env, "required_os")),
        texts(InfoKind.ENVIRONMENT.value(env, "builder_extra_args")),
        Optional.ofNullable(InfoKind.ENVIRONMENT.text(env, "command")));
  }

  /**
   * Records the head node in its nodeset ({@code headnode-for-<cluster>}), as VC3 shows it; a
   * terminated head node's record goes once its manager has stopped.
   */
  private CompletionStage<?> recordHeadNode(String cluster, HeadNodeRuntime runtime, HeadNode h, boolean destroy,
      View v) {
    String name = VirtualClusterTransitions.headNodeName(cluster);
    if (h == null) {
      return CompletableFuture.completedFuture(null);
    }
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("state", h.state().vc3Name());
    attributes.put("state_reason", h.reason());
    if (h.state() == HeadNodeTransitions.State.TERMINATED) {
      if (destroy || runtime.managerAround()) {
        return info.find(InfoKind.NODESET, name).thenCompose(found -> found.isPresent()
            ? info.systemUpdate(InfoKind.NODESET, name, attributes, null)
            : CompletableFuture.completedFuture(null));
      }
      return info.find(InfoKind.NODESET, name).thenCompose(found -> found.isPresent()
          ? info.delete(InfoKind.NODESET, name, null, InfoEntities.SYSTEM)
          : CompletableFuture.completedFuture(null));
    }
    attributes.put("app_role", "head-node");
    attributes.put("node_number", 1);
    String appType = v.nodesets().isEmpty() ? "generic" : InfoKind.NODESET.text(v.nodesets().get(0), "app_type");
    attributes.put("app_type", appType == null ? "generic" : appType);
    if (runtime.manager() != null) {
      attributes.put("app_host", runtime.manager().host());
      attributes.put("app_port", runtime.manager().port());
      attributes.put("app_sectoken", new String(runtime.password(), StandardCharsets.US_ASCII));
    }
    return info.find(InfoKind.NODESET, name).thenCompose(found -> found.isPresent()
        ? info.systemUpdate(InfoKind.NODESET, name, attributes, null)
        : info.systemCreate(InfoKind.NODESET, name, attributes));
  }

  private static boolean isGeneric(View v) {
    return v.nodesets().isEmpty() || !"workqueue".equals(InfoKind.NODESET.text(v.nodesets().get(0), "app_type"));
  }

  private static List<String> problems(View v) {
    InfoObject c = v.cluster();
    VirtualClusterValidation.ClusterSpec spec = new VirtualClusterValidation.ClusterSpec(c.name(),
        InfoKind.VIRTUAL_CLUSTER.text(c, "owner"), InfoKind.VIRTUAL_CLUSTER.text(c, "project"),
        texts(InfoKind.VIRTUAL_CLUSTER.value(c, "allocations")));
    Optional<VirtualClusterValidation.ProjectSpec> project = v.project().map(p ->
        new VirtualClusterValidation.ProjectSpec(p.name(), texts(InfoKind.PROJECT.value(p, "members")),
            texts(InfoKind.PROJECT.value(p, "allocations"))));
    Map<String, VirtualClusterValidation.UserSpec> users = new LinkedHashMap<>();
    v.users().forEach((n, u) -> users.put(n, new VirtualClusterValidation.UserSpec(n,
        InfoKind.USER.text(u, "sshpubstring"))));
    return VirtualClusterValidation.problems(spec, project, users, key -> {
      try {
        SshKeys.parsePublicKeyLine(key);
        return true;
      } catch (RuntimeException e) {
        return false;
      }
    });
  }

  /**
   * What every queue of the cluster reports now. Held pilots count as idle, as APF's batch-status
   * mapping counts them pending; the queues report no errors (VC3's monitor never filled them).
   */
  private CompletableFuture<List<StatusSummary.QueueStatus>> counts(String cluster, List<InfoObject> nodesets,
      Set<String> allocations) {
    Map<String, CompletableFuture<Counts>> asks = new LinkedHashMap<>();
    Map<String, String> nodesetOf = new LinkedHashMap<>();
    for (InfoObject n : nodesets) {
      for (String a : allocations) {
        String queue = cluster + "." + n.name() + "." + a;
        nodesetOf.put(queue, n.name());
        asks.put(queue, sharding.entityRefFor(PilotQueueProtocol.ENTITY_KEY, queue)
            .<Counts>askWithStatus(org.vacuum.protocol.pilot.PilotQueueProtocol.GetCounts::new, ASK)
            .toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(x -> {
      List<StatusSummary.QueueStatus> all = new ArrayList<>();
      asks.forEach((q, f) -> {
        Counts counts = f.join();
        all.add(new StatusSummary.QueueStatus(STATUS_FACTORY, nodesetOf.get(q), q, counts.running(),
            counts.idle() + counts.held(), 0));
      });
      return all;
    });
  }

  /** {@code statusinfo}: per nodeset, VC3's {@code running, idle, error, node_number, requested}. */
  private static Map<String, Object> statusInfo(Map<String, StatusSummary.NodesetStatus> summary) {
    Map<String, Object> info = new LinkedHashMap<>();
    summary.forEach((nodeset, s) -> {
      Map<String, Object> line = new LinkedHashMap<>();
      line.put("running", s.running());
      line.put("idle", s.idle());
      line.put("error", s.error());
      line.put("node_number", s.nodeNumber());
      line.put("requested", s.requested());
      info.put(nodeset, line);
    });
    return info;
  }

  /**
   * {@code statusraw}: VC3's {@code factory → nodeset → queue → aggregated counters}; the one
   * "factory" is this lifecycle's node, which runs every pilot queue.
   */
  private static Map<String, Object> statusRaw(List<StatusSummary.QueueStatus> queues) {
    Map<String, Map<String, Map<String, Object>>> byNodeset = new LinkedHashMap<>();
    for (StatusSummary.QueueStatus q : queues) {
      Map<String, Object> aggregated = new LinkedHashMap<>();
      aggregated.put("running", q.running());
      aggregated.put("idle", q.idle());
      byNodeset.computeIfAbsent(q.nodeset(), n -> new LinkedHashMap<>())
          .put(q.queue(), Map.of("aggregated", aggregated));
    }
    return Map.of(STATUS_FACTORY, byNodeset);
  }

  private CompletableFuture<Optional<InfoObject>> find(InfoKind kind, String name) {
    return name == null ? CompletableFuture.completedFuture(Optional.empty())
        : info.find(kind, name).toCompletableFuture();
  }

  private CompletableFuture<Map<String, InfoObject>> findAll(InfoKind kind, List<String> names) {
    Map<String, CompletableFuture<Optional<InfoObject>>> asks = new LinkedHashMap<>();
    names.forEach(n -> asks.put(n, find(kind, n)));
    return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(x -> {
      Map<String, InfoObject> found = new LinkedHashMap<>();
      asks.forEach((n, f) -> f.join().ifPresent(o -> found.put(n, o)));
      return found;
    });
  }

  private static Map<String, String> base64(Map<String, byte[]> files) {
    Map<String, String> encoded = new LinkedHashMap<>();
    files.forEach((name, content) -> encoded.put(name, Base64.getEncoder().encodeToString(content)));
    return encoded;
  }

  private static List<String> texts(JsonNode list) {
    List<String> all = new ArrayList<>();
    if (list != null && list.isArray()) list.forEach(e -> all.add(e.asText()));
    return all;
  }
}
