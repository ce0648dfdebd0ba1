package org.vacuum.node;

import com.typesafe.config.Config;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.Done;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Props;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.persistence.jdbc.testkit.javadsl.SchemaUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.admin.AdminHttp;
import org.vacuum.allocation.AllocationLifecycle;
import org.vacuum.config.VacuumConfig.NodeConfig;
import org.vacuum.config.VacuumConfig;
import org.vacuum.config.VacuumSettings;
import org.vacuum.factory.Factory;
import org.vacuum.host.FactoryHost;
import org.vacuum.hypervisor.HypervisorException;
import org.vacuum.infoservice.InfoEntity;
import org.vacuum.node.security.NodePki;
import org.vacuum.protocol.VacuumVersion;
import org.vacuum.protocol.factory.FactoryProtocol.Register;
import org.vacuum.protocol.factory.FactoryProtocol.SlotsReconciled;
import org.vacuum.protocol.factory.FactoryProtocol;
import org.vacuum.security.pki.Lifetimes;
import org.vacuum.security.pki.PkiException;
import org.vacuum.slot.Slot;
import org.vacuum.slot.SlotReconciliation;
import org.vacuum.virtualcluster.VirtualClusterLifecycle;

/**
 * A running vacuum node: one cluster member with its factory (DESIGN §3).
 *
 * <p>{@link #start} does, in order: create the state directory; start the ActorSystem (binds the
 * cluster port); create the H2 schema when that journal is used; start sharding; join (itself when
 * no seed nodes are configured); bind the admin HTTP port; wait to be Up; and, on a node with the
 * {@code factory} role, connect to the hypervisor, read vac.conf and start the MJF server before
 * sharding, then pin its factory's and slots' shard here, register the factory in the journal and
 * reconcile the slots with the hypervisor. Only then is {@code /ready} true. Any step that fails
 * stops what was started and throws a {@link StartupException} with one line for the operator.
 *
 * <p>Stopping is Pekko's CoordinatedShutdown (SIGTERM, {@code vacuum node leave}, or {@link
 * #close}): the member leaves the cluster gracefully and shards hand off.
 */
public final class VacuumNode implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(VacuumNode.class);

  private final ActorSystem<Void> system;
  private final VacuumSettings settings;
  private final ServerBinding admin;
  private final FactoryServices services;

  private VacuumNode(ActorSystem<Void> system, VacuumSettings settings, Started started) {
    this.system = system;
    this.settings = settings;
    this.admin = started.admin();
    this.services = started.services();
  }

  /** What {@link #startServices} leaves running: the admin server and, on a factory, its services. */
  private record Started(ServerBinding admin, FactoryServices services) {}

  public static VacuumNode start(NodeConfig nodeConfig) throws StartupException {
    VacuumSettings settings = nodeConfig.settings();
    try {
      Files.createDirectories(settings.stateDir());
    } catch (IOException | SecurityException e) {
      throw new StartupException("state directory " + settings.stateDir() + " cannot be created: " + e
          + " (set vacuum.state-dir, VACUUM_STATE_DIR or --state-dir)");
    }
    if (!Files.isWritable(settings.stateDir())) {
      throw new StartupException("state directory " + settings.stateDir() + " is not writable by this user");
    }


    ActorSystem<Void> system;
    try {
      system = ActorSystem.create(Behaviors.empty(), VacuumConfig.SYSTEM_NAME, nodeConfig.config());
    } catch (RuntimeException e) {
      if (hasCause(e, BindException.class)) {
        throw new StartupException("cluster port " + settings.host() + ":" + settings.clusterPort()
            + " is in use or cannot be bound (set vacuum.cluster-port or VACUUM_CLUSTER_PORT)", e);
      }
      throw new StartupException("the actor system cannot start: " + rootMessage(e), e);
    }
    try {
      Started started = startServices(system, settings);
      log.info("vacuum {} node up: factory {} in space {}, admin {}", VacuumVersion.VERSION,
          settings.factoryName(), settings.space(), settings.adminUrl());
      return new VacuumNode(system, settings, started);
    } catch (StartupException e) {
      system.terminate();
      awaitTermination(system);
      throw e;
    }
  }

  /** This node's certificate of the space (the first node of a new space creates the CA): NodePki. */
  private static NodePki openPki(VacuumSettings settings) throws StartupException {
    String self = settings.host() + ":" + settings.clusterPort();
    boolean joining = settings.seedNodes().stream().anyMatch(seed -> !seed.equals(self));
    NodePki pki;
    try {
      pki = NodePki.open(settings.stateDir(), settings.space(), settings.factoryName(), joining, Lifetimes.DEFAULT);
    } catch (PkiException | java.io.UncheckedIOException e) {
      throw new StartupException(e.getMessage());
    }
    for (String warning : NodePki.looseModes(settings.stateDir())) {
      log.warn("{}", warning);
    }
    return pki;
  }

  private static Started startServices(ActorSystem<Void> system, VacuumSettings settings)
      throws StartupException {
    if (settings.journal() == VacuumSettings.Journal.H2) {
      openH2(system, settings);
      await(SchemaUtils.createIfNotExists(system), settings.journalTimeout(),
          "the " + journalDescription(system, settings) + " cannot be opened");
    }
    await(org.vacuum.accounting.projection.AccountingProjection.createOffsetStore(system, settings), settings.journalTimeout(),
        "the projection offset tables of the " + journalDescription(system, settings) + " cannot be created");
    boolean factoryRole = system.settings().config().getStringList("pekko.cluster.roles")
        .contains(VacuumSettings.FACTORY_ROLE);
    FactoryServices services = factoryRole ? FactoryServices.open(system, settings) : null;
    if (services != null) {
      // Closed only once the actor system has stopped, so no slot is left without its hypervisor.
      system.getWhenTerminated().thenRun(services::close);
    }
    FactoryHost host = services == null ? null : services.host();
    Factory.init(system, settings, host);
    Slot.init(system, settings, host);
    InfoEntity.init(system);
    if (system.settings().config().getBoolean("vacuum.vc3.lifecycles")) {
      AllocationLifecycle.init(system);
      VirtualClusterLifecycle.init(system, settings, system.settings().config().getDuration("vacuum.vc3.tick"),
          system.settings().config().getDuration("vacuum.vc3.pilot-refresh"));
    }
    if (services != null) {
      services.start(system);
    }
    Cluster cluster = Cluster.get(system);
    boolean seeded = !system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty();
    if (!seeded) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
    ServerBinding admin;
    try {
      admin = AdminHttp.start(system, settings, host == null ? Optional::empty : host::conf)
          .toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException | InterruptedException e) {
      throw new StartupException("admin HTTP port " + settings.adminHost() + ":" + settings.adminPort()
          + " cannot be bound: " + rootMessage(e) + " (set vacuum.admin.port or VACUUM_ADMIN_PORT)", e);
    }
    awaitUp(cluster, seeded, settings);
    if (cluster.selfMember().hasRole(VacuumSettings.FACTORY_ROLE)) {
      await(Factory.registerShardLocation(system, settings), Duration.ofSeconds(10),
          "factory " + settings.factoryName() + " cannot record its shard location");
      await(Slot.registerShardLocation(system, settings), Duration.ofSeconds(10),
          "factory " + settings.factoryName() + " cannot record its slots' shard location");
      register(system, settings, cluster.selfMember().address());
      reconcile(system, host);
      org.vacuum.accounting.projection.AccountingProjection.start(system, host);
      system.systemActorOf(FactoryHeartbeat.create(settings), "factory-heartbeat", Props.empty());
    } else {
      log.info("this node has no {} role: it hosts no factory", VacuumSettings.FACTORY_ROLE);
    }
    // A control-only node has no entity of its own yet to prove the journal with; it is ready once Up.
    NodeReadiness.get(system).markJournalReady();
    return new Started(admin, services);
  }

  /** Restart = reconcile: the slots meet the hypervisor before the factory creates anything. */
  private static void reconcile(ActorSystem<?> system, FactoryHost host) throws StartupException {
    try {
      SlotReconciliation.run(system, host, host.settings().journalTimeout().plus(host.settings().slot().shutdownGrace()));
    } catch (ExecutionException e) {
      throw new StartupException("reconciling the slots with the hypervisor failed: " + rootMessage(e), e);
    } catch (TimeoutException e) {
      throw new StartupException("reconciling the slots with the hypervisor did not finish within "
          + host.settings().journalTimeout().plus(host.settings().slot().shutdownGrace()).toSeconds() + " s", e);
    } catch (HypervisorException e) {
      throw new StartupException("the hypervisor at " + host.hypervisor().uri() + " cannot list domains: "
          + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("interrupted while reconciling the slots", e);
    }
    ClusterSharding.get(system).entityRefFor(FactoryProtocol.ENTITY_KEY, host.settings().factoryName())
        .tell(new SlotsReconciled());
  }

  /**
   * Opens the H2 file once with plain JDBC, so a journal that cannot be opened (another node holds
   * its lock, no space, a corrupt file) fails start-up at once with H2's own reason, instead of after
   * journal-timeout inside the connection pool.
   */
  private static void openH2(ActorSystem<?> system, VacuumSettings settings) throws StartupException {
    Config db = system.settings().config().getConfig("pekko-persistence-jdbc.shared-databases.slick.db");
    try (Connection ignored = DriverManager.getConnection(db.getString("url"), db.getString("user"), db.getString("password"))) {
      // opened and closed: the pool may now take it
    } catch (SQLException e) {
      String reason = e.getMessage() == null ? e.toString() : e.getMessage().lines().findFirst().orElse("");
      throw new StartupException("the " + journalDescription(system, settings) + " cannot be opened: "
          + reason + (reason.contains("already in use") ? " (is another vacuum node using this state directory?)" : ""), e);
    }
  }

  private static void awaitUp(Cluster cluster, boolean seeded, VacuumSettings settings) throws StartupException {
    Duration limit = settings.journalTimeout().multipliedBy(2);
    Instant deadline = Instant.now().plus(limit);
    while (cluster.selfMember().status() != MemberStatus.up()) {
      if (Instant.now().isAfter(deadline)) {
        throw new StartupException(seeded
            ? "could not join the space through seed nodes " + settings.seedNodes() + " within " + limit.toSeconds()
                + " s (are they running and reachable from " + settings.host() + ":" + settings.clusterPort() + "?)"
            : "this node did not become Up in its own cluster within " + limit.toSeconds() + " s");
      }
      sleepBriefly();
    }
  }

  /** Registers the factory, retrying until the journal answers or journal-timeout passes. */
  private static void register(ActorSystem<?> system, VacuumSettings settings, Address self) throws StartupException {
    Instant deadline = Instant.now().plus(settings.journalTimeout());
    Throwable last = null;
    while (Instant.now().isBefore(deadline)) {
      try {
        ClusterSharding.get(system).entityRefFor(FactoryProtocol.ENTITY_KEY, settings.factoryName())
            .<Done>askWithStatus(
                r -> new Register(settings.space(), VacuumVersion.VERSION, self.toString(), r), Duration.ofSeconds(5))
            .toCompletableFuture().get();
        return;
      } catch (ExecutionException e) {
        last = e.getCause();
        log.debug("factory {} registration not accepted yet: {}", settings.factoryName(), last.toString());
        sleepBriefly();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StartupException("interrupted while registering the factory", e);
      }
    }
    throw new StartupException("the " + journalDescription(system, settings) + " did not accept factory "
        + settings.factoryName() + "'s registration within " + settings.journalTimeout().toSeconds() + " s"
        + (last == null ? "" : ": " + rootMessage(last)));
  }

  private static String journalDescription(ActorSystem<?> system, VacuumSettings settings) {
    return switch (settings.journal()) {
      case H2 -> "H2 journal under " + settings.stateDir().resolve("journal");
      case CASSANDRA -> "Cassandra journal at "
          + system.settings().config().getStringList("datastax-java-driver.basic.contact-points")
          + " (keyspace " + system.settings().config().getString("vacuum.cassandra.keyspace") + ")";
    };
  }

  private static <T> T await(CompletionStage<T> stage, Duration timeout, String what) throws StartupException {
    try {
      return stage.toCompletableFuture().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      throw new StartupException(what + ": " + rootMessage(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException(what + ": interrupted", e);
    }
  }

  public ActorSystem<Void> system() {
    return system;
  }

  public VacuumSettings settings() {
    return settings;
  }

  /** Where the admin HTTP server really listens (the port may have been 0 in tests). */
  public int adminPort() {
    return admin.localAddress().getPort();
  }

  /** Where this factory's MJF/metadata server listens (empty on a node without the factory role). */
  public List<InetSocketAddress> mjfAddresses() {
    return services == null ? List.of() : services.mjfAddresses();
  }

  /** Completes when the node has stopped, whoever stopped it. */
  public CompletionStage<Done> whenTerminated() {
    return system.getWhenTerminated();
  }

  /** Leaves the cluster gracefully (CoordinatedShutdown) and waits for the system to stop. */
  @Override
  public void close() {
    system.terminate();
    awaitTermination(system);
  }

  private static void awaitTermination(ActorSystem<?> system) {
    try {
      system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } catch (ExecutionException | TimeoutException e) {
      log.warn("actor system did not stop within 60 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleepBriefly() throws StartupException {
    try {
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StartupException("interrupted while starting", e);
    }
  }

  private static boolean hasCause(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) return true;
    }
    return false;
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t.getMessage() == null ? t.toString() : t.getMessage();
  }
}
