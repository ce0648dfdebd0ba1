package org.vacuum.allocation;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.ClusterSingletonSettings;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.allocation.AllocationTransitions.Input;
import org.vacuum.allocation.AllocationTransitions.Need;
import org.vacuum.allocation.AllocationTransitions.Outcome;
import org.vacuum.allocation.AllocationTransitions.State;
import org.vacuum.allocation.AllocationTransitions.Validation;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.batch.ssh.SshRemote;
import org.vacuum.batch.ssh.SshValidator;
import org.vacuum.config.VacuumSettings;
import org.vacuum.infoservice.Evaluations;
import org.vacuum.infoservice.InfoChanges;
import org.vacuum.infoservice.InfoEntities;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.infoservice.InfoSecrets;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;

/**
 * Drives every allocation through VC3's lifecycle (reference/vc3.md §2.3; the decisions are {@link
 * AllocationTransitions}'): a new allocation on an {@code ssh} resource gets its key pair (the
 * public key is then shown to its user as {@code pubtoken}); when its user sets {@code action =
 * validate}, vacuum logs in to the resource as {@code accountname} with that key and runs {@code
 * /bin/date}, and the allocation becomes {@code ready} or {@code validation_failure} (validate again
 * to retry). A {@code local} resource validates without logging in.
 *
 * <p>Event-driven: it acts on every change of an allocation or resource ({@link InfoChanges}) but
 * its own writes (an evaluation asks for the next itself when the state moved on), and
 * re-checks all allocations on a slow safety tick. One instance in the cluster (a cluster singleton
 * on the {@code control} role); an evaluation of one allocation never overlaps another of the same.
 */
public final class AllocationLifecycle {

  /** What the lifecycle reacts to. */
  public sealed interface Message permits Changed, Evaluate, Evaluated, Validated, Tick {}

  private record Changed(InfoChanges.Changed change) implements Message {}

  private record Evaluate(String allocation) implements Message {}

  private record Evaluated(String allocation, Throwable failure) implements Message {}

  private record Validated(String allocation, SshValidator.Result result) implements Message {}

  private enum Tick implements Message { INSTANCE }

  private static final Duration SAFETY_TICK = Duration.ofSeconds(30);
  private static final int DEFAULT_SSH_PORT = 22;

  private static final Logger log = LoggerFactory.getLogger(AllocationLifecycle.class);

  private final ActorContext<Message> ctx;
  // Used from the completions of asks too, where the context must not be touched.
  private final ActorRef<Message> self;
  private final InfoEntities info;
  private final SshValidator validator;
  private final InfoSecrets secrets;
  private final Executor blocking;
  // One evaluation per allocation at a time, and the validation results not yet evaluated.
  private final Evaluations evaluations = new Evaluations();
  private final Map<String, SshValidator.Result> results = new HashMap<>();

  private AllocationLifecycle(ActorContext<Message> ctx, SshValidator validator) {
    this.ctx = ctx;
    this.self = ctx.getSelf();
    this.info = InfoEntities.get(ctx.getSystem());
    this.validator = validator;
    this.secrets = InfoSecrets.get(ctx.getSystem());
    this.blocking = ctx.getSystem().dispatchers().lookup(DispatcherSelector.blocking());
  }

  /** Starts the lifecycle as a cluster singleton on the control nodes. */
  public static void init(ActorSystem<?> system) {
    SshRemote ssh = new SshRemote();
    system.getWhenTerminated().thenRun(ssh::close);
    ClusterSingleton.get(system).init(SingletonActor.of(
            Behaviors.supervise(create(new SshValidator(ssh))).onFailure(SupervisorStrategy.restart()),
            "allocation-lifecycle")
        .withSettings(ClusterSingletonSettings.create(system).withRole(VacuumSettings.CONTROL_ROLE)));
  }

  static Behavior<Message> create(SshValidator validator) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      InfoChanges.get(ctx.getSystem()).subscribe(ctx.messageAdapter(InfoChanges.Changed.class, Changed::new));
      timers.startTimerWithFixedDelay(Tick.INSTANCE, SAFETY_TICK);
      ctx.getSelf().tell(Tick.INSTANCE);
      return new AllocationLifecycle(ctx, validator).behavior();
    }));
  }

  private Behavior<Message> behavior() {
    return Behaviors.receive(Message.class)
        .onMessage(Changed.class, c -> {
          if (c.change().kind().equals(InfoKind.ALLOCATION.key()) && c.change().bySystem()) {
            // This lifecycle's own write: the evaluation that made it asked for what follows.
          } else if (c.change().kind().equals(InfoKind.ALLOCATION.key())) {
            evaluate(c.change().name());
          } else if (c.change().kind().equals(InfoKind.RESOURCE.key())) {
            everyAllocation();
          }
          return Behaviors.same();
        })
        .onMessage(Tick.class, t -> {
          everyAllocation();
          return Behaviors.same();
        })
        .onMessage(Evaluate.class, e -> {
          evaluate(e.allocation());
          return Behaviors.same();
        })
        .onMessage(Validated.class, v -> {
          results.put(v.allocation(), v.result());
          evaluate(v.allocation());
          return Behaviors.same();
        })
        .onMessage(Evaluated.class, e -> {
          if (e.failure() != null) {
            ctx.getLog().warn("allocation {}: {}", e.allocation(), InfoEntities.unwrap(e.failure()).toString());
          }
          if (evaluations.finished(e.allocation())) {
            evaluate(e.allocation());
          }
          return Behaviors.same();
        })
        .build();
  }

  private void everyAllocation() {
    ctx.pipeToSelf(info.list(InfoKind.ALLOCATION), (all, e) -> {
      if (e != null) {
        return new Evaluated("*", e);
      }
      all.forEach(a -> self.tell(new Evaluate(a.name())));
      return new Evaluated("*", null);
    });
  }

  private void evaluate(String allocation) {
    if (!evaluations.start(allocation)) {
      return;
    }
    SshValidator.Result result = results.remove(allocation);
    ctx.pipeToSelf(step(allocation, result), (ok, e) -> new Evaluated(allocation, e));
  }

  /** One evaluation: read, decide, write what changed, and start what the decision needs. */
  private CompletionStage<Void> step(String name, SshValidator.Result result) {
    return info.find(InfoKind.ALLOCATION, name).thenCompose(found -> {
      if (found.isEmpty()) {
        return CompletableFuture.completedFuture(null);
      }
      InfoObject allocation = found.get();
      String resourceName = InfoKind.ALLOCATION.text(allocation, "resource");
      CompletionStage<Optional<InfoObject>> resource = resourceName == null
          ? CompletableFuture.completedFuture(Optional.empty())
          : info.find(InfoKind.RESOURCE, resourceName);
      return resource.thenCompose(r -> decide(allocation, r, result));
    });
  }

  private CompletionStage<Void> decide(InfoObject allocation, Optional<InfoObject> resource,
      SshValidator.Result result) {
    String name = allocation.name();
    String method = resource.map(r -> InfoKind.RESOURCE.text(r, "accessmethod")).orElse(null);
    State state = State.valueOf(InfoKind.ALLOCATION.text(allocation, "state").toUpperCase(Locale.ROOT));
    boolean keys = InfoKind.ALLOCATION.text(allocation, "pubtoken") != null
        && InfoKind.ALLOCATION.text(allocation, "privtoken") != null;
    Validation validation = result == null ? Validation.NONE : result.ok() ? Validation.SUCCEEDED : Validation.FAILED;
    Outcome out = AllocationTransitions.next(new Input(state, InfoKind.ALLOCATION.text(allocation, "state_reason"),
        "validate".equals(InfoKind.ALLOCATION.text(allocation, "action")), method, keys, validation,
        result == null ? null : result.reason()));

    Map<String, Object> changes = new LinkedHashMap<>();
    changes.put("state", out.state().vc3Name());
    changes.put("state_reason", out.reason());
    if (out.validateConsumed()) {
      changes.put("action", "new");
    }
    if (!state.vc3Name().equals(out.state().vc3Name())) {
      log.info("allocation {}: {} -> {} ({})", name, state.vc3Name(), out.state().vc3Name(), out.reason());
    }
    // Generating an RSA key pair takes long enough to hold a dispatcher thread: the blocking executor.
    CompletionStage<Map<String, Object>> withKeys = out.need() != Need.ISSUE_KEYS
        ? CompletableFuture.completedFuture(changes)
        : CompletableFuture.supplyAsync(() -> {
          SshKeys issued = SshKeys.generate(name);
          log.info("allocation {}: issued SSH key {}", name, issued.fingerprint());
          changes.put("sectype", SshKeys.SECTYPE);
          changes.put("pubtoken", issued.pubtoken());
          changes.put("privtoken", issued.privtoken());
          return changes;
        }, blocking);
    return withKeys.thenCompose(c -> info.systemUpdate(InfoKind.ALLOCATION, name, c, null)).thenAccept(updated -> {
      if (out.need() == Need.ISSUE_KEYS || out.need() == Need.NOTHING && out.state() != state) {
        // The keys are stored, or the state moved on: evaluate again (to configured, or whatever
        // the new state leads to).
        self.tell(new Evaluate(name));
      } else if (out.need() == Need.VALIDATE) {
        validate(updated, resource.orElseThrow(), method);
      }
    });
  }

  /** Logs in with the allocation's key (off the actor thread) and reports the result. */
  private void validate(InfoObject allocation, InfoObject resource, String method) {
    String name = allocation.name();
    if ("local".equalsIgnoreCase(method)) {
      self.tell(new Validated(name, SshValidator.Result.succeeded("local resource")));
      return;
    }
    String host = InfoKind.RESOURCE.text(resource, "accesshost");
    JsonNode port = InfoKind.RESOURCE.value(resource, "accessport");
    String user = InfoKind.ALLOCATION.text(allocation, "accountname");
    String privtoken = secrets.reveal(InfoKind.ALLOCATION.text(allocation, "privtoken"));
    if (host == null || user == null || privtoken == null) {
      self.tell(new Validated(name, SshValidator.Result.failed(
          (host == null ? "resource " + resource.name() + " has no accesshost" : user == null
              ? "allocation has no accountname" : "allocation has no private key") + ": nothing to log in with")));
      return;
    }
    String key;
    try {
      key = SshKeys.decodeToken("privtoken", privtoken);
    } catch (IllegalArgumentException e) {
      self.tell(new Validated(name, SshValidator.Result.failed(e.getMessage())));
      return;
    }
    log.info("allocation {}: validating as {} at {}:{}", name, user, host, port.isNull() ? DEFAULT_SSH_PORT : port);
    validator.validateAsync(host, port.isNull() ? DEFAULT_SSH_PORT : port.asInt(), user, key,
            SshValidator.DEFAULT_TIMEOUT, blocking)
        .whenComplete((r, e) -> self.tell(new Validated(name, e == null ? r
            : SshValidator.Result.failed(String.valueOf(InfoEntities.unwrap(e).getMessage())))));
  }
}
