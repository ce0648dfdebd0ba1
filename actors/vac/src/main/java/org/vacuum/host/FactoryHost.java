package org.vacuum.host;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.Machinetype;
import org.vacuum.config.vac.VacConf;
import org.vacuum.hypervisor.Hypervisor;
import org.vacuum.hypervisor.image.ImageCache;
import org.vacuum.hypervisor.mjf.MachineLookup;
import org.vacuum.hypervisor.mjf.MachineView;
import org.vacuum.hypervisor.mjf.MjfServer;
import org.vacuum.protocol.slot.MachineStatus;

/**
 * What a factory's node gives its {@code Factory} and {@code Slot} entities: the settings, the
 * hypervisor connection, the image cache, the vac.conf now in force, the machines the MJF server
 * may answer for, and an executor for blocking hypervisor work. One per node; shared by the
 * entities of that node only.
 *
 * <p>vac.conf is held as the last good configuration plus the error of the last rejected edit (the
 * factory error), as Vac keeps going with what it had. A node with none of the vac.conf files has
 * no machinetypes and no error.
 */
public final class FactoryHost implements MachineLookup {

  private final VacuumSettings settings;
  private final Hypervisor hypervisor;
  private final ImageCache imageCache;
  private final Executor blocking;
  private final Clock clock;
  private final Instant startedAt;
  private final AtomicReference<VacConf> conf = new AtomicReference<>();
  private final AtomicReference<String> confError = new AtomicReference<>();
  private final Map<Integer, MachineView> machines = new ConcurrentHashMap<>();
  private volatile MjfServer mjf;
  private volatile Consumer<MachineStatus> slotListener = status -> {};

  public FactoryHost(VacuumSettings settings, Hypervisor hypervisor, ImageCache imageCache, Executor blocking,
      Clock clock) {
    this.settings = settings;
    this.hypervisor = hypervisor;
    this.imageCache = imageCache;
    this.blocking = blocking;
    this.clock = clock;
    this.startedAt = clock.instant();
  }

  public VacuumSettings settings() {
    return settings;
  }

  public Hypervisor hypervisor() {
    return hypervisor;
  }

  public ImageCache imageCache() {
    return imageCache;
  }

  public Executor blocking() {
    return blocking;
  }

  public Clock clock() {
    return clock;
  }

  /** When this node started: heartbeat-file enforcement waits fizzle_seconds after it, as Vac's. */
  public Instant startedAt() {
    return startedAt;
  }

  /** Where machine directories live: {@code <state-dir>/machines}. */
  public Path machinesDir() {
    return settings.stateDir().resolve("machines");
  }

  /** The vac.conf in force, if one was ever read successfully. */
  public Optional<VacConf> conf() {
    return Optional.ofNullable(conf.get());
  }

  /** The machinetype of that name in the configuration in force. */
  public Optional<Machinetype> machinetype(String name) {
    return conf().map(c -> c.machinetypes().get(name));
  }

  /** Why the last vac.conf edit was rejected, while it stays rejected. */
  public Optional<String> confError() {
    return Optional.ofNullable(confError.get());
  }

  /** Total processors machines may use: vac.conf's total_processors, else the node's setting. */
  public int totalProcessors() {
    return conf().map(c -> c.settings().totalProcessors()).orElse(settings.totalProcessors());
  }

  /** Records a successfully read configuration; clears the configuration error. */
  public void applied(VacConf newConf) {
    conf.set(newConf);
    confError.set(null);
  }

  /**
   * Records a rejected read. When none of the vac.conf files exists the node is simply
   * unconfigured (no machinetypes), which is not an error.
   */
  public void rejected(String error) {
    VacuumSettings.VacConfPaths paths = settings.vacConf();
    boolean anyFile = Files.isRegularFile(paths.file()) || Files.isRegularFile(paths.runFile())
        || hasConfFiles(paths.dir());
    confError.set(anyFile ? error : null);
  }

  private static boolean hasConfFiles(Path dir) {
    try (var files = Files.list(dir)) {
      return files.anyMatch(f -> f.getFileName().toString().endsWith(".conf"));
    } catch (Exception e) {
      return false;
    }
  }

  /** Where slots report their changes: the node sends them to its factory through sharding. */
  public void onSlotChanged(Consumer<MachineStatus> listener) {
    slotListener = listener;
  }

  /** A slot tells its new state. */
  public void slotChanged(MachineStatus status) {
    slotListener.accept(status);
  }

  /** The MJF/metadata server of this node, once it listens. */
  public void mjfStarted(MjfServer server) {
    mjf = server;
  }

  /** When the MJF server last answered a machine (Vac's mjf heartbeat). */
  public Optional<Instant> mjfHeartbeat() {
    return mjf == null ? Optional.empty() : mjf.lastMjfRequest();
  }

  /** When the metadata server last answered a machine (Vac's metadata heartbeat). */
  public Optional<Instant> metadataHeartbeat() {
    return mjf == null ? Optional.empty() : mjf.lastMetadataRequest();
  }

  /** A slot's machine the MJF server may answer for, from creation until release. */
  public void machineUp(int ordinal, MachineView view) {
    machines.put(ordinal, view);
  }

  public void machineGone(int ordinal, String uuid) {
    machines.computeIfPresent(ordinal, (k, v) -> v.uuid().toString().equals(uuid) ? null : v);
  }

  @Override
  public Optional<MachineView> byOrdinal(int ordinal) {
    return Optional.ofNullable(machines.get(ordinal));
  }
}
