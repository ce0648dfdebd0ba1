package org.vacuum.hypervisor.libvirt;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.Machinetype.MachineModel;
import org.vacuum.hypervisor.DomainSpec;
import org.vacuum.hypervisor.DomainState;
import org.vacuum.hypervisor.Hypervisor;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.hypervisor.MachineDomain;
import org.vacuum.protocol.slot.SlotNames;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The {@link Hypervisor} on libvirt-java, over one libvirt connection (see the interface for each
 * call's contract). Domains are transient ({@code createXML}) and typed {@code kvm} when the
 * hypervisor is QEMU and KVM can be used, else {@code qemu} (TCG); on libvirt's test driver
 * ({@code test:///...}) they are typed {@code test}. Disks are {@link MachineDisks}, the network
 * {@link VacNetwork}.
 *
 * <p>Stops are heard through libvirt's lifecycle events on the process-wide {@link EventLoop}; where
 * events cannot be had, {@link #list()} is polled every 2 s and a domain that vanished from it
 * counts as stopped. A remote connection that drops is reopened on the next call (stop events
 * while it was down are lost: callers reconcile with {@link #list()}).
 */
public final class LibvirtHypervisor implements Hypervisor {

  private static final Logger log = LoggerFactory.getLogger(LibvirtHypervisor.class);
  private static final int LIST_ACTIVE = 1; // VIR_CONNECT_LIST_DOMAINS_ACTIVE
  private static final Duration POLL = Duration.ofSeconds(2);

  private final VacuumSettings.Hypervisor settings;
  private final String factoryName;
  private final String uri;
  private final boolean local;
  private final DomainXml.VirtType virtType;
  private final MachineDisks disks;
  private final List<Consumer<String>> stopListeners = new CopyOnWriteArrayList<>();
  private final LifecycleListener lifecycle = this::onLifecycle;
  // Notified on every stop event, so shutdown() wakes as soon as its domain goes.
  private final Object stopped = new Object();
  private volatile boolean events;
  private ScheduledExecutorService poller;
  // Without events: the active domains the last poll saw.
  private final Set<String> polled = ConcurrentHashMap.newKeySet();
  private Connect conn;
  private boolean lost;
  private boolean closed;

  private LibvirtHypervisor(VacuumSettings.Hypervisor settings, String factoryName, Connect conn, Path stateDir)
      throws LibvirtException {
    this.settings = settings;
    this.factoryName = factoryName;
    this.conn = conn;
    this.uri = conn.getURI();
    URI parsed = parse(uri);
    this.local = parsed.getHost() == null || parsed.getHost().isEmpty();
    DomainXml.VirtType detected = virtType(parsed, local, conn.getCapabilities(), Path.of("/dev/kvm"));
    this.virtType = detected == DomainXml.VirtType.KVM && !settings.useKvm() ? DomainXml.VirtType.QEMU : detected;
    this.disks = new MachineDisks(stateDir.resolve("disks"), local, this::isMachineName,
        MachineDisks.poolName(factoryName));
  }

  /**
   * Opens the connection. {@code factoryName} names the NAT network's hosts and tells this
   * factory's LVs from others'; when null, the network's hosts are named after this host's
   * canonical name (if fully qualified) and any LV shaped like a machine name counts as a machine's.
   */
  public static LibvirtHypervisor connect(VacuumSettings.Hypervisor settings, Path stateDir, String factoryName)
      throws HypervisorException {
    return connect(settings, stateDir, factoryName, true);
  }

  /** As {@link #connect(VacuumSettings.Hypervisor, Path, String)}; {@code useEvents} false forces polling (for tests). */
  static LibvirtHypervisor connect(VacuumSettings.Hypervisor settings, Path stateDir, String factoryName,
      boolean useEvents) throws HypervisorException {
    boolean eventLoop = EventLoop.start() && useEvents;
    Connect conn = open(settings.uri());
    LibvirtHypervisor hypervisor;
    try {
      hypervisor = new LibvirtHypervisor(settings, factoryName, conn, stateDir);
    } catch (LibvirtException e) {
      closeQuietly(conn);
      throw new HypervisorException("libvirt at " + settings.uri() + ": " + e.getMessage(), e);
    }
    hypervisor.watchStops(eventLoop);
    log.info("connected to libvirt at {} (domain type {}, stops heard by {})", hypervisor.uri,
        hypervisor.virtType.xmlName(), hypervisor.events ? "events" : "polling");
    return hypervisor;
  }

  @Override
  public String uri() {
    return uri;
  }

  /** The {@code <domain type>} this hypervisor's domains get. */
  public DomainXml.VirtType virtType() {
    return virtType;
  }

  /** True if stops are heard through libvirt events, false if found by polling. */
  public boolean hasEvents() {
    return events;
  }

  @Override
  public void ensureNetwork(boolean fixNetworking) throws HypervisorException {
    if (settings.network() != VacuumSettings.Network.VAC) {
      return;
    }
    // Only a local, real hypervisor has a bridge and a dnsmasq on this host to repair.
    boolean hostRepair = local && virtType != DomainXml.VirtType.TEST;
    String hosts = factoryName != null ? factoryName : canonicalHostName();
    VacNetwork.ensure(connection(), hosts, settings.forwardDev(), fixNetworking, hostRepair);
  }

  @Override
  public MachineDomain create(DomainSpec spec) throws HypervisorException {
    if (spec.model() != MachineModel.VM_RAW && spec.model() != MachineModel.CERNVM3) {
      throw new HypervisorException("machine " + spec.name() + ": " + unsupported(spec.model()));
    }
    Connect c = connection();
    Optional<MachineDomain> existing = lookup(spec.name());
    if (existing.isPresent()) {
      throw new HypervisorException("machine " + spec.name() + ": a domain of that name already exists (uuid "
          + existing.get().uuid() + ", " + existing.get().state() + "); it must be destroyed first");
    }
    // No domain has them, so volumes of that name are an earlier machine's that were never released.
    int leftovers = disks.release(c, spec.name());
    if (leftovers > 0) {
      log.warn("machine {}: removed {} leftover volume(s) of an earlier machine", spec.name(), leftovers);
    }
    MachineDisks.Made made = disks.make(c, spec);
    String xml = DomainXml.of(spec, virtType, settings.network(), made.disks());
    try {
      Domain domain = c.domainCreateXML(xml, 0);
      MachineDomain created = describe(domain);
      log.info("machine {}: started domain {}", spec.name(), created.uuid());
      return created;
    } catch (LibvirtException e) {
      disks.delete(spec.name(), made.volumes());
      throw new HypervisorException("machine " + spec.name() + ": libvirt would not start its domain: "
          + e.getMessage(), e);
    }
  }

  @Override
  public Optional<MachineDomain> lookup(String name) throws HypervisorException {
    try {
      Domain domain = find(connection(), name);
      return domain == null ? Optional.empty() : Optional.of(describe(domain));
    } catch (LibvirtException e) {
      if (isGone(e)) {
        return Optional.empty();
      }
      throw new HypervisorException("machine " + name + ": looking up its domain: " + e.getMessage(), e);
    }
  }

  @Override
  public List<MachineDomain> list() throws HypervisorException {
    Domain[] domains;
    try {
      domains = connection().listAllDomains(LIST_ACTIVE);
    } catch (LibvirtException e) {
      throw new HypervisorException("listing domains at " + uri + ": " + e.getMessage(), e);
    }
    List<MachineDomain> listed = new ArrayList<>(domains.length);
    for (Domain domain : domains) {
      try {
        listed.add(describe(domain));
      } catch (LibvirtException e) {
        // A domain that went between the listing and the look is simply not active any more.
        if (!isGone(e)) {
          throw new HypervisorException("listing domains at " + uri + ": " + e.getMessage(), e);
        }
      }
    }
    return listed;
  }

  @Override
  public void shutdown(String name, Duration grace) throws HypervisorException {
    Connect c = connection();
    try {
      Domain domain = find(c, name);
      if (domain == null || domain.isActive() != 1) {
        return;
      }
      domain.shutdown();
      log.info("machine {}: asked to shut down (ACPI); destroying it if still there in {} s", name, grace.toSeconds());
    } catch (LibvirtException e) {
      if (isGone(e)) {
        return;
      }
      // As Vac: a machine that cannot be asked (e.g. paused) is destroyed all the same.
      log.warn("machine {}: ACPI shutdown failed ({}); destroying it", name, e.getMessage());
      destroy(name);
      return;
    }
    long deadline = System.nanoTime() + grace.toNanos();
    while (isActive(c, name)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        log.info("machine {}: still running {} s after ACPI shutdown; destroying it", name, grace.toSeconds());
        destroy(name);
        return;
      }
      synchronized (stopped) {
        try {
          // Bounded, as the stop event may come between the check and the wait, or not at all.
          stopped.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 500)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new HypervisorException("machine " + name + ": interrupted while waiting for it to shut down");
        }
      }
    }
    log.info("machine {}: shut down", name);
  }

  @Override
  public void destroy(String name) throws HypervisorException {
    try {
      Domain domain = find(connection(), name);
      if (domain == null) {
        return;
      }
      domain.destroy();
      log.info("machine {}: domain destroyed", name);
    } catch (LibvirtException e) {
      if (!isGone(e)) {
        throw new HypervisorException("machine " + name + ": destroying its domain: " + e.getMessage(), e);
      }
    }
  }

  @Override
  public void releaseDisks(String name) throws HypervisorException {
    disks.release(connection(), name);
  }

  @Override
  public Set<String> machinesWithDisks() throws HypervisorException {
    return disks.machinesWithDisks(connection());
  }

  @Override
  public void addStopListener(Consumer<String> domainName) {
    stopListeners.add(domainName);
  }

  @Override
  public void close() {
    Connect c;
    ScheduledExecutorService p;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      c = conn;
      p = poller;
    }
    if (p != null) {
      p.shutdownNow();
    }
    release(c);
    log.info("closed libvirt connection {}", uri);
  }

  /** The message for a machine model that is not a libvirt virtual machine of ours. */
  static String unsupported(MachineModel model) {
    return "machine_model " + model.vacName() + " is not supported by vacuum's libvirt hypervisor";
  }

  /**
   * The domain type for a connection: {@code test} on the test driver; {@code kvm} on QEMU when the
   * hypervisor offers it and, for a local one, this process can also open {@code /dev/kvm}
   * (libvirt lists kvm when the device exists, even when a session daemon cannot use it); else
   * {@code qemu}.
   */
  static DomainXml.VirtType virtType(URI uri, boolean local, String capabilities, Path devKvm) {
    String driver = uri.getScheme() == null ? "" : uri.getScheme().split("\\+")[0];
    if (driver.equals("test")) {
      return DomainXml.VirtType.TEST;
    }
    NodeList domains = XmlElement.parse(capabilities).getDocumentElement().getElementsByTagName("domain");
    boolean offered = false;
    for (int i = 0; i < domains.getLength(); i++) {
      offered |= "kvm".equals(((Element) domains.item(i)).getAttribute("type"));
    }
    boolean usable = !local || (Files.isReadable(devKvm) && Files.isWritable(devKvm));
    return driver.equals("qemu") && offered && usable ? DomainXml.VirtType.KVM : DomainXml.VirtType.QEMU;
  }

  private boolean isMachineName(String name) {
    return factoryName != null ? SlotNames.isMachineOf(factoryName, name) : isAnyMachineName(name);
  }

  private static boolean isAnyMachineName(String name) {
    try {
      SlotNames.ordinalOf(name);
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private int onLifecycle(Domain domain, DomainEvent event) {
    switch (event.getType()) {
      case STOPPED, CRASHED, UNDEFINED -> {
        String name;
        try {
          name = domain.getName();
        } catch (LibvirtException e) {
          log.warn("stop event {} for a domain whose name cannot be read: {}", event, e.getMessage());
          return 0;
        }
        log.debug("domain {}: {}", name, event);
        stoppedDomain(name);
      }
      default -> log.debug("domain event {}", event);
    }
    return 0;
  }

  private void stoppedDomain(String name) {
    synchronized (stopped) {
      stopped.notifyAll();
    }
    for (Consumer<String> listener : stopListeners) {
      try {
        listener.accept(name);
      } catch (RuntimeException e) {
        log.warn("stop listener failed for domain {}", name, e);
      }
    }
  }

  private void startPolling() {
    poller = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "libvirt-stop-poller");
      t.setDaemon(true);
      return t;
    });
    poller.scheduleWithFixedDelay(() -> {
      try {
        Set<String> now = new HashSet<>();
        for (MachineDomain d : list()) {
          now.add(d.name());
        }
        for (String name : Set.copyOf(polled)) {
          if (!now.contains(name)) {
            polled.remove(name);
            stoppedDomain(name);
          }
        }
        polled.addAll(now);
      } catch (HypervisorException | RuntimeException e) {
        log.warn("polling domains at {}: {}", uri, e.getMessage());
      }
    }, 0, POLL.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether the poller (used without events) has seen that domain active. */
  boolean pollerHasSeen(String name) {
    return polled.contains(name);
  }

  /** The connection, reopened first if a remote one dropped. Package-private for tests that look behind the port. */
  synchronized Connect connection() throws HypervisorException {
    if (closed) {
      throw new HypervisorException("libvirt connection " + uri + " is closed");
    }
    if (lost) {
      Connect fresh = open(uri);
      if (events) {
        try {
          listenTo(fresh);
        } catch (LibvirtException e) {
          closeQuietly(fresh);
          throw new HypervisorException("libvirt at " + uri + ": listening for domain events: " + e.getMessage(), e);
        }
      }
      release(conn);
      conn = fresh;
      lost = false;
      log.warn("reconnected to libvirt at {}; stop events while it was away were missed", uri);
    }
    return conn;
  }

  /** Listens for lifecycle events if libvirt can deliver them, else starts polling. */
  private void watchStops(boolean eventLoop) {
    if (eventLoop) {
      try {
        listenTo(conn);
        events = true;
        return;
      } catch (LibvirtException e) {
        log.warn("libvirt at {} gives no domain events ({})", uri, e.getMessage());
      }
    }
    log.warn("libvirt at {}: domain stops will be found by listing domains every {} s", uri, POLL.toSeconds());
    startPolling();
  }

  private void listenTo(Connect c) throws LibvirtException {
    c.addLifecycleListener(lifecycle);
    try {
      c.registerCloseListener((closedConn, reason) -> {
        synchronized (this) {
          if (closed) {
            return;
          }
          lost = true;
        }
        log.warn("libvirt connection {} lost ({}): reopening it on the next call", uri, reason);
      });
    } catch (LibvirtException e) {
      // Drivers that run in this process (test:///) cannot drop, and may say so.
      log.debug("libvirt at {}: no close notification: {}", uri, e.getMessage());
    }
  }

  /** Closes a connection of ours, unhooking our listeners first so its closing is not taken for a loss. */
  private void release(Connect c) {
    try {
      c.unregisterCloseListener();
      if (events) {
        c.removeLifecycleListener(lifecycle);
      }
    } catch (LibvirtException e) {
      log.debug("libvirt at {}: unhooking listeners: {}", uri, e.getMessage());
    }
    closeQuietly(c);
  }

  private static Connect open(String uri) throws HypervisorException {
    try {
      return new Connect(uri);
    } catch (LibvirtException e) {
      throw new HypervisorException("cannot connect to libvirt at " + uri + ": " + e.getMessage(), e);
    }
  }

  private static Domain find(Connect c, String name) throws LibvirtException {
    try {
      return c.domainLookupByName(name);
    } catch (LibvirtException e) {
      if (isGone(e)) {
        return null;
      }
      throw e;
    }
  }

  private boolean isActive(Connect c, String name) throws HypervisorException {
    try {
      Domain domain = find(c, name);
      return domain != null && domain.isActive() == 1;
    } catch (LibvirtException e) {
      if (isGone(e)) {
        return false;
      }
      throw new HypervisorException("machine " + name + ": looking up its domain: " + e.getMessage(), e);
    }
  }

  /** No such domain, or one that is no longer running: both mean there is nothing left to stop. */
  private static boolean isGone(LibvirtException e) {
    ErrorNumber code = e.getError().getCode();
    return code == ErrorNumber.VIR_ERR_NO_DOMAIN || code == ErrorNumber.VIR_ERR_OPERATION_INVALID;
  }

  private static MachineDomain describe(Domain domain) throws LibvirtException {
    DomainInfo info = domain.getInfo();
    return new MachineDomain(domain.getName(), UUID.fromString(domain.getUUIDString()),
        DomainState.valueOf(info.state.name().substring("VIR_DOMAIN_".length())), info.cpuTime);
  }

  private static URI parse(String uri) {
    try {
      return new URI(uri);
    } catch (URISyntaxException e) {
      return URI.create("unknown:///");
    }
  }

  private static String canonicalHostName() {
    try {
      return InetAddress.getLocalHost().getCanonicalHostName().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      return null;
    }
  }

  private static void closeQuietly(Connect c) {
    try {
      c.close();
    } catch (LibvirtException e) {
      log.debug("closing libvirt connection: {}", e.getMessage());
    }
  }
}
