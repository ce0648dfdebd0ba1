package org.vacuum.node;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import org.apache.pekko.actor.ActorSystem;

/**
 * Pekko Management readiness check ({@code /ready}, configured in {@code vacuum/management.conf}):
 * ready only once this node's factory registration reached the journal.
 */
public final class JournalReadiness implements Supplier<CompletionStage<Boolean>> {

  private final ActorSystem system;

  public JournalReadiness(ActorSystem system) {
    this.system = system;
  }

  @Override
  public CompletionStage<Boolean> get() {
    return CompletableFuture.completedFuture(NodeReadiness.get(system).journalReady());
  }
}
