package org.vacuum.pilot;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.vacuum.config.VacuumSettings;
import org.vacuum.pilot.submit.LocalSubmitter;
import org.vacuum.pilot.submit.Submitter;
import org.vacuum.protocol.pilot.PilotQueueProtocol.SubmitterConfig;

/**
 * The submitters of one node, one per place pilots run: the control node's own processes
 * ({@code local}, sandboxes under {@code <state-dir>/pilots}); later SSH hosts and Slurm clusters.
 * Shared by every pilot queue on the node and closed with the node (local pilots with it).
 */
public final class Submitters implements Extension {

  private final Path localRoot;
  private final Map<String, Submitter> submitters = new ConcurrentHashMap<>();

  private Submitters(ActorSystem<?> system) {
    this.localRoot = VacuumSettings.from(system.settings().config()).stateDir().resolve("pilots");
    system.getWhenTerminated().thenRun(() -> submitters.values().forEach(Submitter::close));
  }

  public static Submitters get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /** The submitter for {@code config}, made on first use. */
  Submitter forConfig(SubmitterConfig config) {
    return switch (config.kind()) {
      case "local" -> submitters.computeIfAbsent("local", k -> new LocalSubmitter());
      default -> throw new IllegalArgumentException("pilots cannot be submitted to " + config
          + ": submitter '" + config.kind() + "' is not available");
    };
  }

  /** Where the pilots of {@code config} get their sandboxes. */
  Path sandboxRoot(SubmitterConfig config) {
    return "local".equals(config.kind()) ? localRoot : Path.of(config.scratchdir(), "vacuum");
  }

  static final class Id extends ExtensionId<Submitters> {
    static final Id INSTANCE = new Id();

    @Override
    public Submitters createExtension(ActorSystem<?> system) {
      return new Submitters(system);
    }
  }
}
