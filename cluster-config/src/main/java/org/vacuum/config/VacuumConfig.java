package org.vacuum.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Builds a node's whole configuration, highest precedence first: system properties, the
 * command-line overrides, the operator's file, vacuum's Pekko layers ({@code vacuum/cluster.conf},
 * {@code vacuum/management.conf}, and the persistence layer of the chosen journal), then every
 * module's {@code reference.conf}. {@code ${?ENV}} substitutions in those layers let the
 * environment set ports and paths.
 *
 * <p>Problems come back as {@link ConfigException} whose message names the file and line.
 */
public final class VacuumConfig {

  /** Name of the ActorSystem of every node; part of every cluster address. */
  public static final String SYSTEM_NAME = "vacuum";

  private VacuumConfig() {}

  /** A node's resolved configuration and the vacuum settings read from it. */
  public record NodeConfig(Config config, VacuumSettings settings) {}

  /**
   * @param file the operator's config file, if any; it must exist and parse
   * @param overrides settings from the command line (e.g. {@code vacuum.state-dir}), highest precedence
   */
  public static NodeConfig load(Optional<Path> file, Map<String, ?> overrides) {
    Config merged = merge(file, overrides);
    VacuumSettings settings = VacuumSettings.from(merged);
    Map<String, Object> derived = new HashMap<>();
    List<String> roles = new ArrayList<>(merged.getStringList("pekko.cluster.roles"));
    if (roles.contains(VacuumSettings.FACTORY_ROLE)) {
      roles.add(settings.factoryNameRole());
    }
    derived.put("pekko.cluster.roles", roles);
    if (!settings.seedNodes().isEmpty()) {
      derived.put("pekko.cluster.seed-nodes",
          settings.seedNodes().stream().map(s -> "pekko://" + SYSTEM_NAME + "@" + s).toList());
    }
    return new NodeConfig(ConfigFactory.parseMap(derived, "vacuum settings").withFallback(merged), settings);
  }

  private static Config merge(Optional<Path> file, Map<String, ?> overrides) {
    Config top = ConfigFactory.parseMap(overrides, "command line");
    Config operator = ConfigFactory.empty();
    if (file.isPresent()) {
      Path path = file.get();
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        throw new ConfigException.IO(ConfigFactory.empty("command line").origin(),
            "config file " + path + " does not exist or is not readable");
      }
      operator = ConfigFactory.parseFile(path.toFile(), ConfigParseOptions.defaults().setAllowMissing(false));
    }
    Config nodeLayers = ConfigFactory.parseResources(VacuumConfig.class.getClassLoader(), "vacuum/cluster.conf")
        .withFallback(ConfigFactory.parseResources(VacuumConfig.class.getClassLoader(), "vacuum/management.conf"));
    Config withoutJournal = ConfigFactory.defaultOverrides()
        .withFallback(top)
        .withFallback(operator)
        .withFallback(nodeLayers)
        .withFallback(ConfigFactory.defaultReference());
    String journal = withoutJournal.resolve().getString("vacuum.journal").trim().toLowerCase();
    String layer = switch (journal) {
      case "h2" -> "vacuum/persistence-h2.conf";
      case "cassandra" -> "vacuum/persistence-cassandra.conf";
      default -> throw new ConfigException.BadValue(withoutJournal.getValue("vacuum.journal").origin(),
          "vacuum.journal", "'" + journal + "' is not a journal: use \"h2\" or \"cassandra\"");
    };
    Config persistence = ConfigFactory.parseResources(VacuumConfig.class.getClassLoader(), layer);
    return ConfigFactory.defaultOverrides()
        .withFallback(top)
        .withFallback(operator)
        .withFallback(nodeLayers)
        .withFallback(persistence)
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
