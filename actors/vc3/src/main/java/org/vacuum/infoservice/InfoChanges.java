package org.vacuum.infoservice;

import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.pubsub.Topic;
import org.vacuum.protocol.CborSerializable;

/**
 * Tells whoever subscribed, on any node of the cluster, that an information object changed: an
 * {@code InfoEntity} publishes after every persisted create, update or delete. This is what makes
 * the VC3 lifecycles event-driven (a user asking to validate an allocation or to terminate a
 * cluster is acted on at once). Delivery is at most once: subscribers also re-check on a timer.
 */
public final class InfoChanges implements Extension {

  /**
   * An object of {@code kind} (its key, e.g. {@code allocation}) named {@code name} changed, by
   * {@code by} (the author the change was persisted with: {@link InfoEntities#SYSTEM} for
   * vacuum's own state machines), so a lifecycle can tell its own writes from anyone else's.
   */
  public record Changed(String kind, String name, String by) implements CborSerializable {

    /** Whether vacuum's own state machines made the change. */
    public boolean bySystem() {
      return InfoEntities.SYSTEM.equals(by);
    }
  }

  private final ActorRef<Topic.Command<Changed>> topic;

  private InfoChanges(ActorSystem<?> system) {
    topic = system.systemActorOf(Topic.create(Changed.class, "vacuum-info-changes"), "info-changes", Props.empty());
  }

  public static InfoChanges get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  void publish(InfoKind kind, String name, String by) {
    topic.tell(Topic.publish(new Changed(kind.key(), name, by)));
  }

  public void subscribe(ActorRef<Changed> subscriber) {
    topic.tell(Topic.subscribe(subscriber));
  }

  static final class Id extends ExtensionId<InfoChanges> {
    static final Id INSTANCE = new Id();

    @Override
    public InfoChanges createExtension(ActorSystem<?> system) {
      return new InfoChanges(system);
    }
  }
}
