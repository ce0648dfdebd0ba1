package org.vacuum.protocol.slot;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.time.Instant;
import java.util.Map;
import java.util.TreeSet;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.vacuum.protocol.CborSerializable;

/**
 * The messages of the {@code Slot} entity: one machine position of a factory, id = the machine's
 * FQDN ({@code f1-03.example.com}), pinned with its factory. A slot holds one machine at a time and
 * keeps its history in the journal: created, started, heartbeats, shutdown message, finished,
 * released; then the next machine.
 *
 * <p>Commands from outside carry a {@code replyTo} and are always answered; a rejection is a
 * {@link StatusReply#error(String)} and persists nothing. The records without {@code replyTo} are
 * the slot's own notifications (timers, hypervisor, MJF server) and need no answer.
 */
public final class SlotProtocol {

  private SlotProtocol() {}

  /** The sharding key of every Slot entity of the space. */
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Slot");

  /** What a {@code Slot} entity accepts. */
  public sealed interface Command extends CborSerializable
      permits Create, Reconcile, Destroy, GetStatus, JoboutputWritten, DomainStopped, Check, WallclockReached,
          Internal {}

  /**
   * Create a machine of {@code machinetype} here, with {@code processors} and lifetime until {@code
   * shutdownTime} (Unix seconds). Answered once the domain runs (or creation failed); refused if the
   * slot is not free. {@code userDataOptions} are the factory's {@code CreateMachine} ones for this
   * machine's user_data (never persisted).
   */
  public record Create(String machinetype, int processors, long shutdownTime, Map<String, String> userDataOptions,
      ActorRef<StatusReply<MachineStatus>> replyTo) implements Command {

    @JsonCreator
    public Create {
      userDataOptions = userDataOptions == null ? Map.of() : Map.copyOf(userDataOptions);
    }

    /** A machine whose user_data is the machinetype's as configured. */
    public Create(String machinetype, int processors, long shutdownTime,
        ActorRef<StatusReply<MachineStatus>> replyTo) {
      this(machinetype, processors, shutdownTime, Map.of(), replyTo);
    }

    @Override
    public String toString() {
      // Option values may hold a pilot's secrets: only their names.
      return "Create[" + machinetype + ", " + processors + ", " + shutdownTime + ", user_data options "
          + new TreeSet<>(userDataOptions.keySet()) + ", " + replyTo + "]";
    }
  }

  /**
   * Sent by the factory at start: compare what the journal says with the hypervisor, adopt a running
   * machine whose domain is there with the same uuid, finalise one whose domain vanished, clean up
   * one left Starting, reap a domain of this name that no machine owns. Answered when done.
   */
  public record Reconcile(ActorRef<StatusReply<MachineStatus>> replyTo) implements Command {}

  /**
   * Destroy the running machine (shutdown, grace, destroy), writing {@code shutdownMessage} if the
   * machine wrote none. With {@code uuid}, only that machine: refused if the slot now holds another
   * one (the slot was reused since the caller looked), so a late destroy never hits its successor.
   *
   * @param uuid the machine the caller means, or null for whichever the slot holds
   */
  public record Destroy(String reason, String shutdownMessage, String uuid,
      ActorRef<StatusReply<MachineStatus>> replyTo) implements Command {

    @JsonCreator
    public Destroy {}

    /** Destroy whichever machine the slot holds (an operator's destroy). */
    public Destroy(String reason, String shutdownMessage, ActorRef<StatusReply<MachineStatus>> replyTo) {
      this(reason, shutdownMessage, null, replyTo);
    }
  }

  /** The slot as {@code machine_status} describes it. */
  public record GetStatus(ActorRef<StatusReply<MachineStatus>> replyTo) implements Command {}

  /** The MJF server stored {@code joboutputs/<fileName>} for this slot's machine. */
  public record JoboutputWritten(String uuid, String fileName) implements Command {}

  /** The hypervisor reported that this slot's domain stopped. */
  public record DomainStopped() implements Command {}

  /** Periodic check of a running machine (CPU, heartbeat file, shutdown_time, paused). */
  public record Check() implements Command {}

  /** The machine's shutdown time has come. */
  public record WallclockReached(long shutdownTime) implements Command {}

  /** Results of the slot's own work off the actor thread; never sent by others. */
  public non-sealed interface Internal extends Command {}

  /** Facts a {@code Slot} persists. Never deleted or rewritten. */
  public sealed interface Event extends CborSerializable
      permits MachineCreated, MachineStarted, HeartbeatSeen, ShutdownTimeLowered, ShutdownMessage, MachineFinished,
          Released {}

  /**
   * A machine was created in this slot (its directory and features are being written, its domain
   * started). Carries everything accounting needs later.
   *
   * @param hs06PerProcessor null when {@code hs06_per_processor} is unset
   * @param directory the machine's directory on the factory
   */
  public record MachineCreated(String machine, String machinetype, String model, int processors, long shutdownTime,
      String uuid, Instant createdAt, String directory, Double hs06PerProcessor, int mbPerProcessor,
      String accountingFqan, int fizzleSeconds) implements Event {}

  /** The machine's domain is running. */
  public record MachineStarted(String uuid, Instant at) implements Event {}

  /** The machine was seen alive with {@code cpuSeconds} of CPU used so far (persisted at a bounded rate). */
  public record HeartbeatSeen(String uuid, double cpuSeconds, Instant at) implements Event {}

  /** The global {@code shutdown_time} lowered this machine's shutdown time (MJF rewritten). */
  public record ShutdownTimeLowered(String uuid, long shutdownTime, Instant at) implements Event {}

  /** The machine wrote {@code joboutputs/shutdown_message}: {@code code} is its 3-digit code (0 if none). */
  public record ShutdownMessage(String uuid, int code, String text, Instant at) implements Event {}

  /**
   * The machine is gone. {@code wallSeconds} runs from start to the last heartbeat, {@code
   * cpuSeconds} is the last CPU time seen; both 0 if it never started.
   */
  public record MachineFinished(String uuid, String reason, Instant startedAt, Instant lastHeartbeatAt,
      long wallSeconds, double cpuSeconds, Instant at) implements Event {}

  /** The slot's resources (domain, disks) are cleaned up; it can take a new machine. */
  public record Released(String uuid, Instant at) implements Event {}
}
