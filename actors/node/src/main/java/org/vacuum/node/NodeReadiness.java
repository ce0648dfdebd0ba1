package org.vacuum.node;

import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.pekko.actor.AbstractExtensionId;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.Extension;
import org.apache.pekko.actor.ExtensionIdProvider;

/**
 * Whether this node has finished starting: its factory is registered in the journal (so the
 * journal answers writes and recovery). One per ActorSystem; read by {@link JournalReadiness} for
 * {@code /ready}.
 */
public final class NodeReadiness implements Extension {

  private final AtomicBoolean journalReady = new AtomicBoolean(false);

  public boolean journalReady() {
    return journalReady.get();
  }

  void markJournalReady() {
    journalReady.set(true);
  }

  public static NodeReadiness get(ActorSystem system) {
    return Id.INSTANCE.get(system);
  }

  public static NodeReadiness get(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return Id.INSTANCE.get(system.classicSystem());
  }

  static final class Id extends AbstractExtensionId<NodeReadiness> implements ExtensionIdProvider {
    static final Id INSTANCE = new Id();

    @Override
    public Id lookup() {
      return INSTANCE;
    }

    @Override
    public NodeReadiness createExtension(ExtendedActorSystem system) {
      return new NodeReadiness();
    }
  }
}
