package org.vacuum.virtualcluster;

import com.fasterxml.jackson.databind.JsonNode;
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
import java.util.concurrent.CompletionStage;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
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
 * <p>Event-driven: every change of a VC3 object re-evaluates the clusters ({@link InfoChanges});
 * a tick ({@code vacuum.vc3.tick}) covers what is time-based (expiry, head-node contact, pilot
 * counts). One instance in the cluster (a singleton on the control role); head-node processes and
 * their trackers are in memory, so a restart of the control node restarts head nodes (as VC3's
 * master lost its trackers).
 */
public final class VirtualClusterLifecycle {

  public sealed interface Message permits Changed, Evaluate, Evaluated, Tick {}

  private record Changed(InfoChanges.Changed change) implements Message {}

  private record Evaluate(String cluster) implements Message {}

  private record Evaluated(String cluster, Throwable failure) implements Message {}

  private enum Tick implements Message { INSTANCE }

  private static final Logger log = LoggerFactory.getLogger(VirtualClusterLifecycle.class);
  private static final Duration ASK = Duration.ofSeconds(15);
  private static final SecureRandom RANDOM = new SecureRandom();

  /** A head node this lifecycle runs: its lifecycle state and, for workqueue, the manager. */
  private static final class HeadNodeRuntime {
    volatile HeadNode headNode;
    volatile WorkQueueManager manager;
    volatile byte[] password;
  }

  private final ActorContext<Message> ctx;
  private final ActorRef<Message> self;
  private final InfoEntities info;
  private final ClusterSharding sharding;
  private final Path headNodeRoot;
  private final Evaluations evaluations = new Evaluations();
  private final Map<String, HeadNodeRuntime> headNodes = new HashMap<>();

  private VirtualClusterLifecycle(ActorContext<Message> ctx, Path stateDir) {
    this.ctx = ctx;
    this.self = ctx.getSelf();
    this.info = InfoEntities.get(ctx.getSystem());
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.headNodeRoot = stateDir.resolve("headnodes");
  }

  /** Starts the lifecycle (a cluster singleton on the control role) and the pilot queues. */
  public static void init(ActorSystem<?> system, VacuumSettings settings, Duration tick, Duration pilotRefresh) {
    PilotQueue.init(system, pilotRefresh);
    ClusterSingleton.get(system).init(SingletonActor.of(
            Behaviors.supervise(create(settings.stateDir(), tick)).onFailure(SupervisorStrategy.restart()),
            "virtual-cluster-lifecycle")
        .withSettings(ClusterSingletonSettings.create(system).withRole(VacuumSettings.CONTROL_ROLE)));
  }

  static Behavior<Message> create(Path stateDir, Duration tick) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      InfoChanges.get(ctx.getSystem()).subscribe(ctx.messageAdapter(InfoChanges.Changed.class, Changed::new));
      timers.startTimerWithFixedDelay(Tick.INSTANCE, tick);
      VirtualClusterLifecycle lifecycle = new VirtualClusterLifecycle(ctx, stateDir);
      return lifecycle.behavior();
    }));
  }

  private Behavior<Message> behavior() {
    return Behaviors.receive(Message.class)
        .onMessage(Changed.class, c -> {
          String kind = c.change().kind();
          if (kind.equals(InfoKind.VIRTUAL_CLUSTER.key())) {
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
          if (e.failure() != null) {
            log.warn("virtual cluster {}: {}", e.cluster(), InfoEntities.unwrap(e.failure()).toString());
          }
          if (evaluations.finished(e.cluster())) {
            evaluate(e.cluster());
          }
          return Behaviors.same();
        })
        .onSignal(org.apache.pekko.actor.typed.PostStop.class, s -> {
          headNodes.values().forEach(h -> {
            if (h.manager != null) h.manager.close();
          });
          return Behaviors.same();
        })
        .build();
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
    HeadNodeRuntime runtime = headNodes.computeIfAbsent(cluster, k -> new HeadNodeRuntime());
    ctx.pipeToSelf(step(cluster, runtime), (ok, e) -> new Evaluated(cluster, e));
  }

  // ---- one evaluation (off the actor thread: only `self`, `info`, `sharding` are used) ----------

  /** Everything an evaluation reads about a cluster. */
  private record View(InfoObject cluster, Optional<InfoObject> project, Map<String, InfoObject> users,
      Map<String, InfoObject> allocations, Map<String, InfoObject> resources, Map<String, InfoObject> nodeinfo,
      List<InfoObject> nodesets, Map<String, InfoObject> environments, Map<String, Counts> queues) {}

  private CompletionStage<Void> step(String name, HeadNodeRuntime runtime) {
    return info.find(InfoKind.VIRTUAL_CLUSTER, name).thenCompose(found -> found.isEmpty()
        ? CompletableFuture.completedFuture(null)
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

  private CompletionStage<Void> decide(View v, HeadNodeRuntime runtime) {
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
    if (runtime.headNode == null && state == State.INITIALIZING) {
      runtime.headNode = apply(name, runtime, HeadNodeTransitions.create(now), v, now);
    } else if (runtime.headNode != null) {
      boolean finished = state == State.CLEANUP || state == State.TERMINATED;
      Step step = HeadNodeTransitions.next(runtime.headNode, finished ? new HeadNodeTransitions.ClusterFinished()
          : runtime.manager != null || isGeneric(v) ? new HeadNodeTransitions.Contacted(now)
          : new HeadNodeTransitions.Tick(), now, HeadNodeTransitions.Settings.VC3_DEFAULTS);
      runtime.headNode = apply(name, runtime, step, v, now);
    }
    if (runtime.headNode != null && runtime.headNode.state() != HeadNodeTransitions.State.TERMINATED) {
      in = in.withHeadNode(runtime.headNode.state(), runtime.headNode.reason());
    }
    if (state.generatesQueues()) {
      int running = v.queues().values().stream().mapToInt(Counts::running).sum();
      int idle = v.queues().values().stream().mapToInt(q -> q.idle() + q.held()).sum();
      int requested = state.finishing() ? 0 : policyNodesets.stream().mapToInt(StaticBalancedPolicy.Nodeset::nodeNumber).sum();
      in = in.withWorkers(running, idle, requested);
    }
    Outcome out = VirtualClusterTransitions.next(in);

    Map<String, Object> changes = new LinkedHashMap<>();
    changes.put("state", out.state().vc3Name());
    changes.put("state_reason", out.reason());
    if (out.actionConsumed()) {
      changes.put("action", out.action().map(a -> a.name().toLowerCase(Locale.ROOT)).orElse("new"));
    }
    if (out.state() == State.INITIALIZING && InfoKind.VIRTUAL_CLUSTER.text(c, "headnode") == null) {
      changes.put("headnode", VirtualClusterTransitions.headNodeName(name));
    }
    if (out.state() == State.NEW && state != State.NEW) {
      // Relaunched: a new head node next time round.
      runtime.headNode = null;
    }
    if (out.state() != state) {
      log.info("virtual cluster {}: {} -> {} ({})", name, state.vc3Name(), out.state().vc3Name(), out.reason());
    }
    CompletionStage<?> stored = info.systemUpdate(InfoKind.VIRTUAL_CLUSTER, name, changes, null);
    if (out.state().generatesQueues() || state.generatesQueues()) {
      State sizing = out.state().generatesQueues() ? out.state() : State.TERMINATING;
      List<StaticBalancedPolicy.QueueTarget> targets = "demand".equals(InfoKind.VIRTUAL_CLUSTER.text(c, "policy"))
          && runtime.manager != null
          ? demandTargets(policyNodesets, allocations, sizing, runtime.manager)
          : StaticBalancedPolicy.targets(policyNodesets, allocations, sizing);
      stored = stored.thenCompose(x -> configureQueues(v, runtime, workers, targets));
    }
    return stored.thenAccept(x -> {
      if (out.state() != state) {
        // A state reached may be processed further at once (VC3's chained handlers).
        self.tell(new Evaluate(name));
      }
    });
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
      WorkQueueManager manager = runtime.manager;
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
          Optional.empty(), runtime.password, cores, memory * cores, disk,
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
   * Carries out a head-node step's effects on this node and records the head node in its nodeset
   * ({@code headnode-for-<cluster>}), whose state the cluster's transitions read.
   */
  private HeadNode apply(String cluster, HeadNodeRuntime runtime, Step step, View v, Instant now) {
    HeadNode h = step.headNode();
    for (HeadNodeTransitions.Effect effect : step.effects()) {
      switch (effect) {
        case BOOT -> {
          if (isGeneric(v)) {
            h = HeadNodeTransitions.next(h, new HeadNodeTransitions.BootStarted(), now,
                HeadNodeTransitions.Settings.VC3_DEFAULTS).headNode();
            break;
          }
          try {
            byte[] password = new byte[24];
            RANDOM.nextBytes(password);
            runtime.password = Base64.getEncoder().encode(password);
            runtime.manager = WorkQueueManager.start(WorkQueueManager.Settings.local(
                headNodeRoot.resolve(cluster), cluster, runtime.password));
            log.info("virtual cluster {}: head node (Work Queue manager {}) on {}:{}", cluster, cluster,
                runtime.manager.host(), runtime.manager.port());
            h = HeadNodeTransitions.next(h, new HeadNodeTransitions.BootStarted(), now,
                HeadNodeTransitions.Settings.VC3_DEFAULTS).headNode();
          } catch (Exception e) {
            h = HeadNodeTransitions.next(h, new HeadNodeTransitions.BootFailed(e.getMessage()), now,
                HeadNodeTransitions.Settings.VC3_DEFAULTS).headNode();
          }
        }
        case START_CONFIGURE -> h = HeadNodeTransitions.next(h, new HeadNodeTransitions.ConfigureSucceeded(), now,
            HeadNodeTransitions.Settings.VC3_DEFAULTS).headNode();
        case DESTROY -> {
          if (runtime.manager != null) {
            runtime.manager.close();
            runtime.manager = null;
          }
        }
        default -> { }
      }
    }
    recordHeadNode(cluster, runtime, h, v);
    return h;
  }

  private void recordHeadNode(String cluster, HeadNodeRuntime runtime, HeadNode h, View v) {
    String name = VirtualClusterTransitions.headNodeName(cluster);
    if (h.state() == HeadNodeTransitions.State.TERMINATED) {
      info.find(InfoKind.NODESET, name).thenAccept(found -> found.ifPresent(n ->
          info.delete(InfoKind.NODESET, name, null, InfoEntities.SYSTEM)));
      return;
    }
    Map<String, Object> attributes = new LinkedHashMap<>();
    attributes.put("state", h.state().vc3Name());
    attributes.put("state_reason", h.reason());
    attributes.put("app_role", "head-node");
    attributes.put("node_number", 1);
    String appType = v.nodesets().isEmpty() ? "generic" : InfoKind.NODESET.text(v.nodesets().get(0), "app_type");
    attributes.put("app_type", appType == null ? "generic" : appType);
    if (runtime.manager != null) {
      attributes.put("app_host", runtime.manager.host());
      attributes.put("app_port", runtime.manager.port());
      attributes.put("app_sectoken", new String(runtime.password));
    }
    info.find(InfoKind.NODESET, name).thenCompose(found -> found.isPresent()
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

  private CompletableFuture<Map<String, Counts>> counts(String cluster, List<InfoObject> nodesets,
      Set<String> allocations) {
    Map<String, CompletableFuture<Counts>> asks = new LinkedHashMap<>();
    for (InfoObject n : nodesets) {
      for (String a : allocations) {
        String queue = cluster + "." + n.name() + "." + a;
        asks.put(queue, sharding.entityRefFor(PilotQueueProtocol.ENTITY_KEY, queue)
            .<Counts>askWithStatus(org.vacuum.protocol.pilot.PilotQueueProtocol.GetCounts::new, ASK)
            .toCompletableFuture());
      }
    }
    return CompletableFuture.allOf(asks.values().toArray(CompletableFuture[]::new)).thenApply(x -> {
      Map<String, Counts> all = new LinkedHashMap<>();
      asks.forEach((q, f) -> all.put(q, f.join()));
      return all;
    });
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
