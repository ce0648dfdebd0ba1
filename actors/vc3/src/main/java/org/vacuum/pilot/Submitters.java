package org.vacuum.pilot;

import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Extension;
import org.apache.pekko.actor.typed.ExtensionId;
import org.vacuum.config.VacuumSettings;
import org.vacuum.batch.ssh.SshRemote;
import org.vacuum.batch.submit.LocalSubmitter;
import org.vacuum.batch.submit.SlurmSubmitter;
import org.vacuum.batch.submit.SshForkSubmitter;
import org.vacuum.batch.submit.SshResource;
import org.vacuum.batch.submit.Submitter;
import org.vacuum.pilot.VacSubmitter;
import org.vacuum.protocol.pilot.PilotQueueProtocol.SubmitterConfig;

/**
 * The submitters of one node, one per place pilots run: the control node's own processes
 * ({@code local}, sandboxes under {@code <state-dir>/pilots}), SSH hosts ({@code fork}) and Slurm
 * clusters reached by SSH ({@code slurm}), one per account, host and sandbox root; and machines of
 * the space's factories ({@code vac}), one per machinetype.
 * Shared by every pilot queue on the node and closed with the node (local pilots with it).
 */
public final class Submitters implements Extension, SubmitterLookup {

  private final ActorSystem<?> system;
  private final Path localRoot;
  private final SshRemote ssh = new SshRemote();
  private final Map<String, Submitter> submitters = new ConcurrentHashMap<>();

  private Submitters(ActorSystem<?> system) {
    this.system = system;
    this.localRoot = VacuumSettings.from(system.settings().config()).stateDir().resolve("pilots");
    system.getWhenTerminated().thenRun(() -> {
      submitters.values().forEach(Submitter::close);
      ssh.close();
    });
  }

  public static Submitters get(ActorSystem<?> system) {
    return Id.INSTANCE.apply(system);
  }

  /**
   * The submitter for {@code config}, made on first use: {@code local}, or over SSH as the
   * allocation's account with its key, {@code fork} (background processes) or {@code slurm}, or
   * {@code vac} (machines of the config's machinetype).
   */
  @Override
  public Submitter forConfig(SubmitterConfig config) {
    if ("local".equals(config.kind())) {
      return submitters.computeIfAbsent("local", k -> new LocalSubmitter());
    }
    if ("vac".equals(config.kind())) {
      if (config.machinetype() == null || config.machinetype().isBlank()) {
        throw new IllegalArgumentException("pilots cannot be submitted to " + config
            + ": the resource needs cloudinstancetype, the machinetype of its pilots");
      }
      return submitters.computeIfAbsent("vac " + config.machinetype(), k -> new VacSubmitter(system, config.machinetype()));
    }
    if (config.host() == null || config.user() == null || config.privateKey() == null) {
      throw new IllegalArgumentException("pilots cannot be submitted to " + config
          + ": the resource needs accesshost and the allocation accountname and its key");
    }
    String key = config.kind() + " " + config.user() + "@" + config.host() + ":" + config.port() + " "
        + sandboxRoot(config);
    return submitters.computeIfAbsent(key, k -> {
      SshResource resource = new SshResource(config.host(), config.port(), config.user(), config.privateKey(),
          SshResource.DEFAULT_TIMEOUT);
      String root = sandboxRoot(config).toString();
      return switch (config.kind()) {
        case "fork" -> new SshForkSubmitter(ssh, resource, SshForkSubmitter.Settings.of(root), Clock.systemUTC());
        case "slurm" -> new SlurmSubmitter(ssh, resource, SlurmSubmitter.Settings.of(root), Clock.systemUTC());
        default -> throw new IllegalArgumentException("pilots cannot be submitted to " + config
            + ": accessflavor '" + config.kind() + "' is not supported (local, fork, slurm or vac)");
      };
    });
  }

  /** Where the pilots of {@code config} get their sandboxes: local, or {@code <scratchdir>/vacuum} remotely. */
  @Override
  public Path sandboxRoot(SubmitterConfig config) {
    if ("local".equals(config.kind())) {
      return localRoot;
    }
    if ("vac".equals(config.kind())) {
      return VacSubmitter.SANDBOX_ROOT;
    }
    // VC3's default scratchdir is the literal /home/${USER}: the account's name, not a shell's.
    String scratch = config.scratchdir() == null ? null
        : config.scratchdir().replace("${USER}", config.user()).replace("$USER", config.user());
    return Path.of(SshResource.sandboxRoot(scratch));
  }

  static final class Id extends ExtensionId<Submitters> {
    static final Id INSTANCE = new Id();

    @Override
    public Submitters createExtension(ActorSystem<?> system) {
      return new Submitters(system);
    }
  }
}
