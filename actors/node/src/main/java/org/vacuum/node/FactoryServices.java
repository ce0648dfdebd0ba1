package org.vacuum.node;

import org.vacuum.protocol.slot.SlotProtocol;
import org.vacuum.protocol.factory.FactoryProtocol;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.hypervisor.libvirt.LibvirtHypervisor;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.VacConfException;
import org.vacuum.config.vac.VacConfReader;
import org.vacuum.config.vac.VacConfWatcher;
import org.vacuum.host.FactoryHost;
import org.vacuum.hypervisor.Hypervisor;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.hypervisor.image.ImageCache;
import org.vacuum.hypervisor.mjf.MjfServer;
import org.vacuum.protocol.factory.FactoryProtocol.ConfigChanged;
import org.vacuum.protocol.factory.FactoryProtocol.SlotChanged;
import org.vacuum.protocol.slot.SlotNames;
import org.vacuum.protocol.slot.SlotProtocol.DomainStopped;
import org.vacuum.protocol.slot.SlotProtocol.JoboutputWritten;
import org.vacuum.slot.Slot;

/**
 * What a factory node runs beside its entities: the libvirt connection (and Vac's NAT network), the
 * vac.conf watcher, and the MJF/metadata/joboutputs server for its machines. Opened before the
 * entities start, so they find a hypervisor and a configuration; closed after the actor system.
 *
 * <p>{@link #open} comes before sharding starts, {@link #start} right after. Everything that
 * happens outside the actors reaches them through sharding: a changed vac.conf
 * as {@code ConfigChanged} to the factory, a stopped domain as {@code DomainStopped} and a file PUT
 * by a machine as {@code JoboutputWritten} to its slot.
 */
final class FactoryServices implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(FactoryServices.class);

  private final FactoryHost host;
  private final Hypervisor hypervisor;
  private volatile VacConfWatcher watcher;
  private volatile MjfServer mjf;

  private FactoryServices(FactoryHost host, Hypervisor hypervisor) {
    this.host = host;
    this.hypervisor = hypervisor;
  }

  FactoryHost host() {
    return host;
  }

  /**
   * Connects to the hypervisor, reads vac.conf once and sets up the NAT network: what the entities
   * need to start. Nothing is sent to them yet; {@link #start} does that once sharding runs.
   */
  static FactoryServices open(ActorSystem<?> system, VacuumSettings settings) throws StartupException {
    Hypervisor hypervisor;
    try {
      hypervisor = LibvirtHypervisor.connect(settings.hypervisor(), settings.stateDir(), settings.factoryName());
    } catch (HypervisorException e) {
      throw new StartupException("the hypervisor at " + settings.hypervisor().uri() + " cannot be reached: "
          + e.getMessage() + " (set vacuum.hypervisor.uri or VACUUM_HYPERVISOR_URI)", e);
    }
    try {
      Executor blocking = system.dispatchers().lookup(DispatcherSelector.blocking());
      FactoryHost host = new FactoryHost(settings, hypervisor, new ImageCache(settings.stateDir()), blocking,
          Clock.systemUTC());
      try {
        host.applied(VacConfReader.read(settings.vacConf(), vacConfHost(settings)));
      } catch (VacConfException e) {
        host.rejected(e.getMessage());
      }
      host.confError().ifPresent(e -> log.warn("vac.conf: {}", e));
      if (settings.hypervisor().network() == VacuumSettings.Network.VAC) {
        hypervisor.ensureNetwork(host.conf().map(c -> c.settings().fixNetworking()).orElse(true));
      }
      return new FactoryServices(host, hypervisor);
    } catch (HypervisorException e) {
      hypervisor.close();
      throw new StartupException("the hypervisor at " + settings.hypervisor().uri() + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      hypervisor.close();
      throw e;
    }
  }

  /**
   * Once sharding runs: slots' changes go to the factory, stopped domains and PUT files to their
   * slots, vac.conf is watched (changes to the factory), and the MJF server listens.
   */
  void start(ActorSystem<?> system) throws StartupException {
    VacuumSettings settings = host.settings();
    ClusterSharding sharding = ClusterSharding.get(system);
    host.onSlotChanged(status -> sharding.entityRefFor(FactoryProtocol.ENTITY_KEY, settings.factoryName())
        .tell(new SlotChanged(status)));
    hypervisor.addStopListener(domain -> {
      if (SlotNames.isMachineOf(settings.factoryName(), domain)) {
        sharding.entityRefFor(SlotProtocol.ENTITY_KEY, domain).tell(new DomainStopped());
      }
    });
    try {
      watcher = VacConfWatcher.start(settings.vacConf(), vacConfHost(settings), update -> {
        if (update instanceof VacConfWatcher.Applied a) {
          host.applied(a.conf());
        } else if (update instanceof VacConfWatcher.Rejected r) {
          host.rejected(r.error());
        }
        sharding.entityRefFor(FactoryProtocol.ENTITY_KEY, settings.factoryName()).tell(new ConfigChanged());
      });
    } catch (IOException e) {
      throw new StartupException("vac.conf cannot be watched (" + settings.vacConf() + "): " + e.getMessage(), e);
    }
    try {
      mjf = MjfServer.start(binds(settings), settings.mjf().addressPrefix(), settings.mjf().guestUrl(),
          host, (machine, fileName) -> sharding.entityRefFor(SlotProtocol.ENTITY_KEY, machine.name())
              .tell(new JoboutputWritten(machine.uuid().toString(), fileName)),
          MjfServer.Limits.of(settings.mjf()));
    } catch (IOException e) {
      throw new StartupException("the MJF/metadata server cannot listen on " + settings.mjf().binds() + ": "
          + VacuumNode.rootMessage(e) + " (set vacuum.mjf.binds)", e);
    }
    host.mjfStarted(mjf);
    log.info("hypervisor {}; MJF/metadata server on {}", hypervisor.uri(), mjf.addresses());
  }

  /**
   * What vac.conf is checked against: this factory's name, its processors ({@code
   * vacuum.total-processors}, the host's by default) and its state directory. A volume group exists
   * when LVM shows it under /dev.
   */
  private static Host vacConfHost(VacuumSettings settings) {
    return Host.of(settings.factoryName(), settings.totalProcessors(), settings.stateDir(),
        vg -> Files.isDirectory(Path.of("/dev", vg)));
  }

  private static List<InetSocketAddress> binds(VacuumSettings settings) {
    List<InetSocketAddress> binds = new ArrayList<>();
    for (String bind : settings.mjf().binds()) {
      int colon = bind.lastIndexOf(':');
      binds.add(new InetSocketAddress(bind.substring(0, colon), Integer.parseInt(bind.substring(colon + 1))));
    }
    return binds;
  }

  /** Where the MJF server really listens (a port may have been 0 in tests). */
  List<InetSocketAddress> mjfAddresses() {
    return mjf == null ? List.of() : mjf.addresses();
  }

  @Override
  public void close() {
    List<AutoCloseable> things = new ArrayList<>();
    if (mjf != null) things.add(mjf);
    if (watcher != null) things.add(watcher);
    things.add(hypervisor);
    for (AutoCloseable thing : things) {
      try {
        thing.close();
      } catch (Exception e) {
        log.warn("closing {}: {}", thing, e.toString());
      }
    }
  }
}
