package org.vacuum.protocol.factory;

import java.time.Instant;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.vacuum.protocol.CborSerializable;

/**
 * The messages of the {@code Factory} entity (one per hypervisor host, pinned to its node): the
 * commands it answers and the events it persists. The entity itself lives in {@code actors}.
 *
 * <p>Every command carries a {@code replyTo} and is always answered; a rejection is a {@link
 * StatusReply#error(String)} naming what is wrong, and persists nothing.
 */
public final class FactoryProtocol {

  private FactoryProtocol() {}

  /** What a {@code Factory} entity accepts. */
  public sealed interface Command extends CborSerializable
      permits Register, SetDrain, ClearDrain, FactoryQuery, Heartbeat {}

  /**
   * Sent by the factory's own node when it starts: records that this factory (re)joined the
   * space on {@code node}. Success means the journal accepted a write, which is what {@code
   * /ready} waits for.
   */
  public record Register(String space, String version, String node, ActorRef<StatusReply<Done>> replyTo)
      implements Command {}

  /** Stop creating machines here; running ones finish naturally. Idempotent. */
  public record SetDrain(String reason, ActorRef<StatusReply<FactoryStatus>> replyTo)
      implements Command {}

  /** Resume creating machines. Idempotent. */
  public record ClearDrain(ActorRef<StatusReply<FactoryStatus>> replyTo) implements Command {}

  /** VacQuery's {@code factory_query}: answered from memory with a {@link FactoryStatus}. */
  public record FactoryQuery(ActorRef<StatusReply<FactoryStatus>> replyTo) implements Command {}

  /**
   * The node's periodic proof of life for its factory (Vac's factory heartbeat). It goes through
   * sharding, so it also restarts the entity if it ever stopped.
   */
  public record Heartbeat(ActorRef<StatusReply<Done>> replyTo) implements Command {}

  /** Facts the {@code Factory} entity persists. Never deleted or rewritten. */
  public sealed interface Event extends CborSerializable
      permits FactoryRegistered, DrainSet, DrainCleared {}

  /** The factory started (or restarted) on {@code node}, in {@code space}, running {@code version}. */
  public record FactoryRegistered(String factory, String space, String version, String node, Instant at)
      implements Event {}

  /** An operator asked this factory to drain. */
  public record DrainSet(String reason, Instant at) implements Event {}

  /** An operator cleared the drain. */
  public record DrainCleared(Instant at) implements Event {}
}
