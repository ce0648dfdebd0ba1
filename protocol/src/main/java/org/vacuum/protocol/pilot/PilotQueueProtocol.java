package org.vacuum.protocol.pilot;

import com.fasterxml.jackson.annotation.JsonCreator;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.vacuum.protocol.CborSerializable;

/**
 * The messages of a {@code PilotQueue} entity: one per nodeset × allocation of a virtual cluster,
 * id {@code <cluster>.<nodeset>.<allocation>} (an APF queue, reference/vc3.md §4.3). It keeps the
 * queue's pilots at what its sched chain asks, submitting or retiring through the allocation's
 * resource.
 */
public final class PilotQueueProtocol {

  private PilotQueueProtocol() {}

  /** The sharding key of every PilotQueue entity of the space. */
  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "PilotQueue");

  /** What a {@code PilotQueue} accepts. */
  public sealed interface Command extends CborSerializable permits Configure, GetCounts, Refresh, Internal {}

  /**
   * The queue's configuration as the virtual cluster wants it now: sent on every evaluation of the
   * cluster, acted on at once when the target changed. Not persisted as a whole (it carries the
   * allocation's key); only the target is.
   */
  public record Configure(QueueConfig config, ActorRef<StatusReply<Counts>> replyTo) implements Command {}

  /** The queue's pilots by state, as last observed. */
  public record GetCounts(ActorRef<StatusReply<Counts>> replyTo) implements Command {}

  /** Periodic batch-status refresh (APF's queue cycle). */
  public record Refresh() implements Command {}

  /** Results of the queue's own work off the actor thread; never sent by others. */
  public non-sealed interface Internal extends Command {}

  /**
   * @param keepRunning the static target (KeepNRunning's {@code keep_running})
   * @param sched further sched chain settings after KeepNRunning, APF's keys ({@code schedplugin}
   *     is {@code KeepNRunning} followed by what {@code sched.extra} lists), may be empty
   * @param killorder {@code newest} or {@code oldest}
   * @param submitter where pilots run
   * @param pilot what every pilot runs
   */
  public record QueueConfig(String cluster, String nodeset, String allocation, int keepRunning,
      Map<String, String> sched, String killorder, boolean peaceful, SubmitterConfig submitter, PilotTemplate pilot)
      implements CborSerializable {}

  /**
   * Where pilots run: {@code local} (processes of the control node), {@code fork} (processes on an
   * SSH host), {@code slurm} (jobs of a Slurm cluster reached by SSH) or {@code vac} (machines of
   * {@code machinetype} on the space's factories; host, user and key unused). {@code machinetype} is
   * null for the other kinds.
   */
  public record SubmitterConfig(String kind, String host, int port, String user, String privateKey, String scratchdir,
      String machinetype) implements CborSerializable {

    @JsonCreator
    public SubmitterConfig {}

    /** A submitter that is not {@code vac}. */
    public SubmitterConfig(String kind, String host, int port, String user, String privateKey, String scratchdir) {
      this(kind, host, port, user, privateKey, scratchdir, null);
    }

    /** Pilots as machines of {@code machinetype} on the space's factories. */
    public static SubmitterConfig vac(String machinetype) {
      return new SubmitterConfig("vac", null, 0, null, null, null, machinetype);
    }

    @Override
    public String toString() {
      // Never log the key.
      return "vac".equals(kind) ? "SubmitterConfig[vac machinetype " + machinetype + "]"
          : "SubmitterConfig[" + kind + " " + user + "@" + host + ":" + port + "]";
    }
  }

  /** The pilot's command, environment and staged files (name → content, base64). */
  public record PilotTemplate(List<String> command, Map<String, String> environment, Map<String, String> files)
      implements CborSerializable {}

  /** A queue's pilots by state; {@code target} what it keeps running. */
  public record Counts(String queue, int target, int idle, int running, int held, int done, String lastMessage)
      implements CborSerializable {}

  /** Facts a {@code PilotQueue} persists. */
  public sealed interface Event extends CborSerializable
      permits TargetChanged, PilotsSubmitted, PilotsRetired, PilotStateObserved {}

  public record TargetChanged(int target, Instant at) implements Event {}

  public record PilotsSubmitted(List<String> pilots, String schedMessage, Instant at) implements Event {}

  public record PilotsRetired(List<String> pilots, String schedMessage, Instant at) implements Event {}

  public record PilotStateObserved(int idle, int running, int held, int done, Instant at) implements Event {}
}
