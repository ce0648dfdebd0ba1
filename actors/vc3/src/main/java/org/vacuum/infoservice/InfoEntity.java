package org.vacuum.infoservice;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.vacuum.config.VacuumSettings;
import org.vacuum.protocol.CborSerializable;
import org.vacuum.protocol.info.InfoProtocol.Command;
import org.vacuum.protocol.info.InfoProtocol.Create;
import org.vacuum.protocol.info.InfoProtocol.Created;
import org.vacuum.protocol.info.InfoProtocol.Delete;
import org.vacuum.protocol.info.InfoProtocol.Deleted;
import org.vacuum.protocol.info.InfoProtocol.Event;
import org.vacuum.protocol.info.InfoProtocol.Get;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;
import org.vacuum.protocol.info.InfoProtocol.Reason;
import org.vacuum.protocol.info.InfoProtocol.Rejected;
import org.vacuum.protocol.info.InfoProtocol.Update;
import org.vacuum.protocol.info.InfoProtocol.Updated;

/**
 * One object of VC3's information model (reference/vc3.md §1.5): a user, project, resource,
 * nodeinfo, nodeset, cluster template, environment, allocation or virtual cluster, by name. The
 * {@link InfoKind} gives the entity type (one sharding type per kind, DESIGN §4: free placement,
 * on nodes with the {@code control} role) and the attribute schema.
 *
 * <p>Contract: the object exists from {@code Created} to {@code Deleted}; its version is 1 at
 * creation and grows by one with every update that changed an attribute, so a caller can refuse
 * to overwrite a change it has not seen ({@code expectedVersion}). Updates are sparse: only the
 * given attributes change, which lets the user side (action, expiration, descriptions) and the
 * system side (state, status) write the same object without clobbering each other. Every change
 * is checked against the schema; a user may not set a system-owned attribute. Secret attributes
 * are encrypted before they are persisted ({@link InfoSecrets}) and answered encrypted; hiding them
 * from users is the REST layer's job.
 *
 * <p>This entity does not maintain the kind's name index ({@link InfoIndex}); {@link
 * InfoEntities} does, around the commands it sends.
 */
public final class InfoEntity extends EventSourcedBehaviorWithEnforcedReplies<Command, Event, InfoEntity.State> {

  // ---- State ---------------------------------------------------------------------------------

  /**
   * What the journal knows of one object: its attributes as JSON text (explicitly unset ones as
   * {@code "null"}), and its version; version 0 = does not exist (never created, or deleted).
   */
  public record State(Map<String, String> attributes, int version) implements CborSerializable {

    static State absent() {
      return new State(Map.of(), 0);
    }

    public boolean exists() {
      return version > 0;
    }

    State created(Created e) {
      return new State(Map.copyOf(e.attributes()), 1);
    }

    State updated(Updated e) {
      Map<String, String> merged = new LinkedHashMap<>(attributes);
      merged.putAll(e.changed());
      return new State(Map.copyOf(merged), e.version());
    }
  }

  // ---- Entity key, sharding --------------------------------------------------------------------

  /** Starts sharding for every kind; the entities run on nodes with the {@code control} role. */
  public static void init(ActorSystem<?> system) {
    ClusterSharding sharding = ClusterSharding.get(system);
    for (InfoKind kind : InfoKind.values()) {
      sharding.init(Entity.of(kind.entityKey(), ctx -> create(kind, ctx.getEntityId(), Clock.systemUTC()))
          .withRole(VacuumSettings.CONTROL_ROLE));
    }
    InfoIndex.init(system);
  }

  // ---- create --------------------------------------------------------------------------------

  public static Behavior<Command> create(InfoKind kind, String name, Clock clock) {
    return Behaviors.withMdc(Command.class, Map.of("entity", kind.entityKey().name() + ":" + name),
        Behaviors.setup(ctx -> new InfoEntity(kind, name, clock, InfoChanges.get(ctx.getSystem()),
            InfoSecrets.get(ctx.getSystem()))));
  }

  private final InfoKind kind;
  private final String name;
  private final Clock clock;
  private final InfoChanges changes;
  private final InfoSecrets secrets;

  private InfoEntity(InfoKind kind, String name, Clock clock, InfoChanges changes, InfoSecrets secrets) {
    super(PersistenceId.of(kind.entityKey().name(), name));
    this.kind = kind;
    this.name = name;
    this.clock = clock;
    this.changes = changes;
    this.secrets = secrets;
  }

  /** Every event is in the audit trail ({@link org.vacuum.journal.JournalTags}). */
  @Override
  public java.util.Set<String> tagsFor(Event event) {
    return org.vacuum.journal.JournalTags.AUDIT_ONLY;
  }

  @Override
  public State emptyState() {
    return State.absent();
  }

  // ---- command handlers --------------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<Command, Event, State> commandHandler() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forState(state -> !state.exists())
        .onCommand(Create.class, this::onCreate)
        .onCommand(Update.class, (state, c) -> Effect().reply(c.replyTo(), missing()))
        .onCommand(Delete.class, (state, c) -> Effect().reply(c.replyTo(), missing()))
        .onCommand(Get.class, (state, c) -> Effect().reply(c.replyTo(), missing()));
    builder.forState(State::exists)
        .onCommand(Create.class, (state, c) -> Effect().reply(c.replyTo(),
            new Rejected(Reason.EXISTS, what() + " already exists (version " + state.version() + ")", state.version())))
        .onCommand(Update.class, this::onUpdate)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Get.class, (state, c) -> Effect().reply(c.replyTo(), object(state)));
    return builder.build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create c) {
    Map<String, JsonNode> given;
    try {
      given = InfoKind.fromText(c.attributes());
    } catch (IllegalArgumentException e) {
      return Effect().reply(c.replyTo(), invalid(List.of(e.getMessage()), state));
    }
    List<String> problems = new ArrayList<>();
    String nameProblem = kind.nameProblem(name);
    if (nameProblem != null) {
      problems.add(nameProblem);
    }
    problems.addAll(kind.problems(given, c.origin()).values());
    if (!problems.isEmpty()) {
      return Effect().reply(c.replyTo(), invalid(problems, state));
    }
    Created created = new Created(kind.key(), name, secrets.seal(kind, InfoKind.toText(kind.withDefaults(given))),
        c.by(), clock.instant());
    return Effect().persist(created).thenRun(s -> changes.publish(kind, name, c.by()))
        .thenReply(c.replyTo(), this::object);
  }

  private ReplyEffect<Event, State> onUpdate(State state, Update c) {
    if (c.expectedVersion() != null && c.expectedVersion() != state.version()) {
      return Effect().reply(c.replyTo(), stale(state, c.expectedVersion()));
    }
    Map<String, JsonNode> given;
    try {
      given = InfoKind.fromText(c.attributes());
    } catch (IllegalArgumentException e) {
      return Effect().reply(c.replyTo(), invalid(List.of(e.getMessage()), state));
    }
    List<String> problems = List.copyOf(kind.problems(given, c.origin()).values());
    if (!problems.isEmpty()) {
      return Effect().reply(c.replyTo(), invalid(problems, state));
    }
    // Writing what is already there is no change: VC3's master re-stores every pass, vacuum does not.
    Map<String, String> changed = new LinkedHashMap<>();
    InfoKind.toText(given).forEach((attribute, value) -> {
      if (!value.equals(secrets.revealJson(current(state, attribute)))) {
        changed.put(attribute, value);
      }
    });
    if (changed.isEmpty()) {
      return Effect().reply(c.replyTo(), object(state));
    }
    Updated updated = new Updated(kind.key(), name, secrets.seal(kind, changed), state.version() + 1, c.by(),
        clock.instant());
    return Effect().persist(updated).thenRun(s -> changes.publish(kind, name, c.by()))
        .thenReply(c.replyTo(), this::object);
  }

  private ReplyEffect<Event, State> onDelete(State state, Delete c) {
    if (c.expectedVersion() != null && c.expectedVersion() != state.version()) {
      return Effect().reply(c.replyTo(), stale(state, c.expectedVersion()));
    }
    InfoObject last = object(state);
    return Effect().persist(new Deleted(kind.key(), name, c.by(), clock.instant()))
        .thenRun(s -> changes.publish(kind, name, c.by()))
        .thenReply(c.replyTo(), s -> last);
  }

  /** An attribute's value as the object shows it: stored, else its default, as JSON text. */
  private String current(State state, String attribute) {
    String stored = state.attributes().get(attribute);
    return stored != null ? stored : kind.attributes().get(attribute).defaultValue().toString();
  }

  private InfoObject object(State state) {
    return new InfoObject(kind.key(), name, state.version(), state.attributes());
  }

  private String what() {
    return kind.key() + " " + name;
  }

  private Rejected missing() {
    return new Rejected(Reason.NOT_FOUND, "no " + kind.key() + " named " + name, 0);
  }

  private Rejected invalid(List<String> problems, State state) {
    return new Rejected(Reason.INVALID, what() + ": " + String.join("; ", problems), state.version());
  }

  private Rejected stale(State state, int expected) {
    return new Rejected(Reason.VERSION_MISMATCH, what() + " is at version " + state.version()
        + ", not " + expected + ": read it again and retry", state.version());
  }

  // ---- event handler -----------------------------------------------------------------------------

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(Created.class, State::created)
        .onEvent(Updated.class, State::updated)
        .onEvent(Deleted.class, (state, e) -> State.absent())
        .build();
  }
}
