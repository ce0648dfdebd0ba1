package org.vacuum.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The {@code vacuum.*} settings of one node, read once from the merged configuration (see {@link
 * VacuumConfig}) and validated: a bad value fails here with the setting's path in the message, not
 * later somewhere deep in an actor.
 */
public record VacuumSettings(
    String factoryName,
    String space,
    String site,
    Path stateDir,
    Journal journal,
    String host,
    int clusterPort,
    String adminHost,
    int adminPort,
    List<String> seedNodes,
    Duration censusTimeout,
    Duration heartbeatInterval,
    Duration journalTimeout,
    int totalProcessors,
    VacConfPaths vacConf,
    int slots,
    Hypervisor hypervisor,
    SlotTimings slot,
    Mjf mjf,
    Path accountingDir) {

  /** Where Vac's configuration files are (reference/vac.md §1.1). */
  public record VacConfPaths(Path dir, Path file, Path runFile) {}

  /**
   * The libvirt connection, how machines are networked, and whether they use KVM ({@code
   * useKvm} false = QEMU's software emulation, TCG, even where /dev/kvm exists).
   */
  public record Hypervisor(String uri, Network network, String forwardDev, boolean useKvm) {}

  /** How machines reach the network: Vac's NAT network, or QEMU user-mode networking. */
  public enum Network {
    VAC,
    USER
  }

  /** Timings of running machines. */
  public record SlotTimings(Duration checkInterval, Duration heartbeatPersistInterval, Duration shutdownGrace) {}

  /**
   * The Machine/Job Features, metadata and joboutputs server for machines, and what one client or
   * machine may take of it (threads, time, disk).
   */
  public record Mjf(
      List<String> binds,
      String addressPrefix,
      String guestUrl,
      Duration readTimeout,
      int maxConnections,
      int maxConnectionsPerMachine,
      long maxJoboutputFile,
      long maxJoboutputsPerMachine) {}

  /** The two journals of DESIGN §6; one code path uses either. */
  public enum Journal {
    H2,
    CASSANDRA
  }

  /** Vac names slots with two digits and its NAT network has 100 fixed addresses. */
  public static final int MAX_SLOTS = 100;

  /** Cluster role of every member that owns a hypervisor. */
  public static final String FACTORY_ROLE = "factory";
  /** Cluster role of members that run the VC3 entities and the API. */
  public static final String CONTROL_ROLE = "control";
  /** Prefix of the role that names a member's factory: {@code factory=f1.example.com}. */
  public static final String FACTORY_NAME_ROLE_PREFIX = "factory=";

  // Vac's rule for factory names and the space: lower-case DNS-like names with at least one dot.
  private static final Pattern FQDN = Pattern.compile("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+");
  private static final Pattern HOST_PORT = Pattern.compile("[^:\\s]+:\\d{1,5}");

  /** Reads and checks {@code vacuum.*}; throws {@link ConfigException.BadValue} naming the setting. */
  public static VacuumSettings from(Config config) {
    Config v = config.getConfig("vacuum");
    String factoryName = v.getString("factory-name").trim().toLowerCase(Locale.ROOT);
    if (factoryName.isEmpty()) {
      factoryName = canonicalHostName();
      if (!FQDN.matcher(factoryName).matches()) {
        throw new ConfigException.BadValue(v.origin(), "vacuum.factory-name",
            "is empty and this host's canonical name '" + factoryName + "' is not a fully qualified name:"
                + " set vacuum.factory-name or VACUUM_FACTORY_NAME to this factory's FQDN");
      }
    }
    requireFqdn(v, "factory-name", factoryName);
    String space = v.getString("space").trim().toLowerCase(Locale.ROOT);
    requireFqdn(v, "space", space);
    if (space.equals(factoryName)) {
      throw new ConfigException.BadValue(v.origin(), "vacuum.space",
          "'" + space + "' is also this factory's name; the space must be a name of its own");
    }
    String site = v.getString("site").trim();
    if (site.isEmpty()) {
      site = space.substring(space.indexOf('.') + 1);
    }
    Journal journal;
    try {
      journal = Journal.valueOf(v.getString("journal").trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(v.origin(), "vacuum.journal",
          "'" + v.getString("journal") + "' is not a journal: use \"h2\" or \"cassandra\"");
    }
    List<String> seeds = v.getStringList("seed-nodes");
    for (String seed : seeds) {
      if (!HOST_PORT.matcher(seed).matches()) {
        throw new ConfigException.BadValue(v.getValue("seed-nodes").origin(), "vacuum.seed-nodes",
            "'" + seed + "' is not host:port");
      }
    }
    int totalProcessors = v.getInt("total-processors");
    if (totalProcessors < 0) {
      throw new ConfigException.BadValue(v.getValue("total-processors").origin(), "vacuum.total-processors",
          totalProcessors + " is negative");
    }
    int slots = v.getInt("slots");
    if (slots < 0 || slots > MAX_SLOTS) {
      throw new ConfigException.BadValue(originOf(v, "slots"), "vacuum.slots",
          slots + " is not a slot count: 0 (the host's processor count) to " + MAX_SLOTS);
    }
    int hostProcessors = totalProcessors == 0 ? Runtime.getRuntime().availableProcessors() : totalProcessors;
    if (slots == 0) {
      slots = Math.min(MAX_SLOTS, hostProcessors);
    }
    Network network;
    try {
      network = Network.valueOf(v.getString("hypervisor.network").trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ConfigException.BadValue(originOf(v, "hypervisor.network"), "vacuum.hypervisor.network",
          "'" + v.getString("hypervisor.network") + "' is not a network mode: use \"vac\" or \"user\"");
    }
    List<String> binds = v.getStringList("mjf.binds");
    for (String bind : binds) {
      if (!HOST_PORT.matcher(bind).matches()) {
        throw new ConfigException.BadValue(originOf(v, "mjf.binds"), "vacuum.mjf.binds", "'" + bind + "' is not host:port");
      }
    }
    return new VacuumSettings(
        factoryName,
        space,
        site,
        Path.of(v.getString("state-dir")).toAbsolutePath(),
        journal,
        v.getString("host"),
        port(v, "cluster-port"),
        v.getString("admin.host"),
        port(v, "admin.port"),
        List.copyOf(seeds),
        positive(v, "census-timeout"),
        positive(v, "heartbeat-interval"),
        positive(v, "journal-timeout"),
        hostProcessors,
        new VacConfPaths(path(v, "vac-conf.dir"), path(v, "vac-conf.file"), path(v, "vac-conf.run-file")),
        slots,
        new Hypervisor(v.getString("hypervisor.uri").trim(), network, v.getString("hypervisor.forward-dev").trim(),
            v.getBoolean("hypervisor.kvm")),
        new SlotTimings(positive(v, "slot.check-interval"), positive(v, "slot.heartbeat-persist-interval"),
            positive(v, "slot.shutdown-grace")),
        new Mjf(List.copyOf(binds), v.getString("mjf.address-prefix"), stripSlash(v.getString("mjf.guest-url").trim()),
            positive(v, "mjf.read-timeout"), atLeastOne(v, "mjf.max-connections"),
            atLeastOne(v, "mjf.max-connections-per-machine"), positiveBytes(v, "mjf.max-joboutput-file"),
            positiveBytes(v, "mjf.max-joboutputs-per-machine")),
        accountingDir(v));
  }

  /** The role string that tells the cluster which factory a member owns. */
  public String factoryNameRole() {
    return FACTORY_NAME_ROLE_PREFIX + factoryName;
  }

  /** The admin HTTP base URL of this node, as the CLI reaches it. */
  public String adminUrl() {
    String shown = adminHost.equals("0.0.0.0") ? "127.0.0.1" : adminHost;
    return "http://" + (shown.contains(":") ? "[" + shown + "]" : shown) + ":" + adminPort;
  }

  private static void requireFqdn(Config v, String path, String value) {
    if (!FQDN.matcher(value).matches()) {
      throw new ConfigException.BadValue(originOf(v, path), "vacuum." + path,
          "'" + value + "' is not a fully qualified name (lower-case letters, digits, '-' and at least one '.')");
    }
  }

  // Empty = the state directory itself, as Vac keeps apel-archive/ in /var/lib/vac. (reference.conf
  // cannot say ${vacuum.state-dir}: it would resolve before the operator's state-dir applies.)
  private static Path accountingDir(Config v) {
    String dir = v.getString("accounting.dir").trim();
    return dir.isEmpty() ? path(v, "state-dir") : Path.of(dir).toAbsolutePath();
  }

  private static Path path(Config v, String path) {
    return Path.of(v.getString(path)).toAbsolutePath();
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  private static int port(Config v, String path) {
    int port = v.getInt(path);
    if (port < 0 || port > 65535) {
      throw new ConfigException.BadValue(originOf(v, path), "vacuum." + path, port + " is not a TCP port (0-65535)");
    }
    return port;
  }

  private static Duration positive(Config v, String path) {
    Duration d = v.getDuration(path);
    if (d.isZero() || d.isNegative()) {
      throw new ConfigException.BadValue(originOf(v, path), "vacuum." + path, d + " must be positive");
    }
    return d;
  }

  private static int atLeastOne(Config v, String path) {
    int n = v.getInt(path);
    if (n < 1) {
      throw new ConfigException.BadValue(originOf(v, path), "vacuum." + path, n + " must be at least 1");
    }
    return n;
  }

  private static long positiveBytes(Config v, String path) {
    long bytes = v.getBytes(path);
    if (bytes < 1) {
      throw new ConfigException.BadValue(originOf(v, path), "vacuum." + path, bytes + " bytes must be at least 1");
    }
    return bytes;
  }

  private static com.typesafe.config.ConfigOrigin originOf(Config v, String path) {
    return v.hasPath(path) ? v.getValue(path).origin() : v.origin();
  }

  private static String canonicalHostName() {
    try {
      return InetAddress.getLocalHost().getCanonicalHostName().toLowerCase(Locale.ROOT);
    } catch (UnknownHostException e) {
      throw new ConfigException.Generic(
          "vacuum.factory-name is empty and this host's canonical name cannot be found (" + e.getMessage()
              + "): set vacuum.factory-name or VACUUM_FACTORY_NAME");
    }
  }
}
