package org.vacuum.infoservice;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
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
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.vacuum.config.VacuumSettings;
import org.vacuum.protocol.CborSerializable;
import org.vacuum.protocol.info.InfoProtocol.AddName;
import org.vacuum.protocol.info.InfoProtocol.IndexCommand;
import org.vacuum.protocol.info.InfoProtocol.IndexEvent;
import org.vacuum.protocol.info.InfoProtocol.ListNames;
import org.vacuum.protocol.info.InfoProtocol.NameAdded;
import org.vacuum.protocol.info.InfoProtocol.NameRemoved;
import org.vacuum.protocol.info.InfoProtocol.Names;
import org.vacuum.protocol.info.InfoProtocol.RemoveName;

/**
 * The names of one information kind, so that a listing need not scan the journal: one entity per
 * kind (id = the kind's key, e.g. {@code user}).
 *
 * <p>Contract: the index holds <em>at least</em> every existing object's name. {@link
 * InfoEntities} adds a name before creating the object and removes it after deleting it, so a
 * crash between the two steps leaves only a name too many, never one too few; a listing asks each
 * named entity and skips those that say they do not exist. Adding or removing twice is harmless
 * and persists nothing.
 */
public final class InfoIndex extends EventSourcedBehaviorWithEnforcedReplies<IndexCommand, IndexEvent, InfoIndex.State> {

  // ---- State ---------------------------------------------------------------------------------

  /** The recorded names. */
  public record State(Set<String> names) implements CborSerializable {

    State with(String name) {
      Set<String> more = new TreeSet<>(names);
      more.add(name);
      return new State(Set.copyOf(more));
    }

    State without(String name) {
      Set<String> fewer = new TreeSet<>(names);
      fewer.remove(name);
      return new State(Set.copyOf(fewer));
    }
  }

  // ---- Entity key, sharding --------------------------------------------------------------------

  public static final EntityTypeKey<IndexCommand> ENTITY_KEY = EntityTypeKey.create(IndexCommand.class, "InfoIndex");

  // Every create and delete of the kind is an event here: snapshot so recovery stays short.
  private static final int SNAPSHOT_EVERY = 200;

  static void init(ActorSystem<?> system) {
    ClusterSharding.get(system).init(Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), Clock.systemUTC()))
        .withRole(VacuumSettings.CONTROL_ROLE));
  }

  // ---- create --------------------------------------------------------------------------------

  public static Behavior<IndexCommand> create(String kind, Clock clock) {
    return Behaviors.withMdc(IndexCommand.class, Map.of("entity", ENTITY_KEY.name() + ":" + kind),
        Behaviors.setup(ctx -> new InfoIndex(kind, clock)));
  }

  private final String kind;
  private final Clock clock;

  private InfoIndex(String kind, Clock clock) {
    super(PersistenceId.of(ENTITY_KEY.name(), kind));
    this.kind = kind;
    this.clock = clock;
  }

  /** Every event is in the audit trail ({@link org.vacuum.journal.JournalTags}). */
  @Override
  public java.util.Set<String> tagsFor(IndexEvent event) {
    return org.vacuum.journal.JournalTags.AUDIT_ONLY;
  }

  @Override
  public State emptyState() {
    return new State(Set.of());
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(SNAPSHOT_EVERY, 2);
  }

  // ---- command handlers --------------------------------------------------------------------------

  @Override
  public CommandHandlerWithReply<IndexCommand, IndexEvent, State> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(AddName.class, this::onAdd)
        .onCommand(RemoveName.class, this::onRemove)
        .onCommand(ListNames.class, (state, c) ->
            Effect().reply(c.replyTo(), StatusReply.success(new Names(List.copyOf(new TreeSet<>(state.names()))))))
        .build();
  }

  private ReplyEffect<IndexEvent, State> onAdd(State state, AddName c) {
    if (state.names().contains(c.name())) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new NameAdded(kind, c.name(), clock.instant()))
        .thenReply(c.replyTo(), s -> StatusReply.ack());
  }

  private ReplyEffect<IndexEvent, State> onRemove(State state, RemoveName c) {
    if (!state.names().contains(c.name())) {
      return Effect().reply(c.replyTo(), StatusReply.ack());
    }
    return Effect().persist(new NameRemoved(kind, c.name(), clock.instant()))
        .thenReply(c.replyTo(), s -> StatusReply.ack());
  }

  // ---- event handler -----------------------------------------------------------------------------

  @Override
  public EventHandler<State, IndexEvent> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(NameAdded.class, (state, e) -> state.with(e.name()))
        .onEvent(NameRemoved.class, (state, e) -> state.without(e.name()))
        .build();
  }
}
