package org.vacuum.protocol.factory;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.vacuum.protocol.CborSerializable;
import org.vacuum.protocol.slot.MachineStatus;

/**
 * The messages of the {@code Factory} entity (one per hypervisor host, pinned to its node): the
 * commands it answers and the events it persists. The entity itself lives in {@code actors}.
 *
 * <p>Every command carries a {@code replyTo} and is always answered; a rejection is a {@link
 * StatusReply#error(String)} naming what is wrong, and persists nothing.
 */
public final class FactoryProtocol {

  private FactoryProtocol() {}

  /** The sharding key of every Factory entity of the space. */
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Factory");

  /** What a {@code Factory} entity accepts. */
  public sealed interface Command extends CborSerializable
      permits Register, SetDrain, ClearDrain, FactoryQuery, Heartbeat, CreateMachine, MachinesQuery, MachinetypesQuery,
          SlotChanged,
          SlotsReconciled, ConfigChanged, DecisionTick, CreationResult, SpaceCensusAnswered {}

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

  /**
   * Create a machine of {@code machinetype} in this factory's lowest free slot, now, whatever the
   * shares say (an operator's request, or a pilot queue's). Refused when draining, past
   * shutdown_time, when no slot or not enough processors are free, or when the machinetype is not
   * configured.
   *
   * <p>{@code userDataOptions} (name → value, names {@code [a-z0-9_]+}) fill this machine's {@code
   * ##user_data_option_NAME##} placeholders in its user_data, before the machinetype's own options
   * (so they win over a machinetype option of the same name) and before the fixed placeholders (so a
   * value may use {@code ##user_data_uuid##} and the like). They are not persisted. Non-empty options
   * are refused for a machinetype without {@code user_data}, since they could not reach the machine.
   */
  public record CreateMachine(String machinetype, Map<String, String> userDataOptions,
      ActorRef<StatusReply<MachineStatus>> replyTo) implements Command {

    @JsonCreator
    public CreateMachine {
      userDataOptions = userDataOptions == null ? Map.of() : Map.copyOf(userDataOptions);
    }

    /** An operator's creation: the machinetype's user_data as configured. */
    public CreateMachine(String machinetype, ActorRef<StatusReply<MachineStatus>> replyTo) {
      this(machinetype, Map.of(), replyTo);
    }

    @Override
    public String toString() {
      // Option values may hold a pilot's secrets: only their names.
      return "CreateMachine[" + machinetype + ", user_data options " + new TreeSet<>(userDataOptions.keySet())
          + ", " + replyTo + "]";
    }
  }

  /** VacQuery's {@code machines_query}: every slot of this factory, answered from memory. */
  public record MachinesQuery(ActorRef<StatusReply<Machines>> replyTo) implements Command {}

  /** The answer to {@link MachinesQuery}: one {@code machine_status} per slot, in slot order. */
  public record Machines(List<MachineStatus> machines) implements CborSerializable {}

  /**
   * VacQuery's {@code machinetypes_query}: one {@code machinetype_status} per configured
   * machinetype of this factory, answered from memory.
   */
  public record MachinetypesQuery(ActorRef<StatusReply<Machinetypes>> replyTo) implements Command {}

  /** The answer to {@link MachinetypesQuery}, in the order of the configuration. */
  public record Machinetypes(List<MachinetypeStatus> machinetypes) implements CborSerializable {}

  /** A slot of this factory tells its new state (no answer). */
  public record SlotChanged(MachineStatus status) implements Command {}

  /** The node finished reconciling the slots with the hypervisor: creation may begin (no answer). */
  public record SlotsReconciled() implements Command {}

  /** vac.conf was re-read (applied or rejected); the factory reads the outcome from its node (no answer). */
  public record ConfigChanged() implements Command {}

  /** Periodic safety tick: decide whether to create machines (no answer). */
  public record DecisionTick() implements Command {}

  /**
   * The outcome of a creation the factory started: {@code status} on success, {@code error}
   * otherwise; {@code replyTo} is the operator who asked, or null when the factory decided itself.
   */
  public record CreationResult(String machine, String machinetype, MachineStatus status, String error,
      ActorRef<StatusReply<MachineStatus>> replyTo) implements Command {}

  /**
   * The space's {@code machinetype_status} census a decision asked for came back (no answer):
   * the replies of the factories that answered, who did not, or {@code error} if it failed.
   */
  public record SpaceCensusAnswered(List<MachinetypeStatus> machinetypes, List<String> noReply, String error)
      implements Command {}

  /** Facts the {@code Factory} entity persists. Never deleted or rewritten. */
  public sealed interface Event extends CborSerializable
      permits FactoryRegistered, DrainSet, DrainCleared, ConfigApplied, ConfigRejected, CreationSucceeded,
          CreationFailed {}

  /** The factory started (or restarted) on {@code node}, in {@code space}, running {@code version}. */
  public record FactoryRegistered(String factory, String space, String version, String node, Instant at)
      implements Event {}

  /** An operator asked this factory to drain. */
  public record DrainSet(String reason, Instant at) implements Event {}

  /** An operator cleared the drain. */
  public record DrainCleared(Instant at) implements Event {}

  /** vac.conf was (re)read and is in force; {@code fingerprint} identifies its content. */
  public record ConfigApplied(String fingerprint, Instant at) implements Event {}

  /** A vac.conf edit was rejected; the last good configuration stays in force. */
  public record ConfigRejected(String error, Instant at) implements Event {}

  /** A machine was created in {@code machine}'s slot. Clears a creation error. */
  public record CreationSucceeded(String machine, String machinetype, Instant at) implements Event {}

  /** Creating a machine failed (Vac's factory-error): shown by {@code factories} and the check. */
  public record CreationFailed(String machinetype, String error, Instant at) implements Event {}
}
