package org.vacuum.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumConfig.NodeConfig;

class VacuumConfigTest {

  @TempDir Path dir;

  private static final Map<String, Object> NAMED = Map.of("vacuum.factory-name", "f1.example.com");

  @Test
  void defaultsAreTheEmbeddedH2JournalOnLoopbackWithBothRoles() {
    NodeConfig node = VacuumConfig.load(Optional.empty(), NAMED);
    VacuumSettings s = node.settings();
    assertEquals(VacuumSettings.Journal.H2, s.journal());
    assertEquals(7355, s.clusterPort());
    assertEquals(7626, s.adminPort());
    assertEquals(Path.of("/var/lib/vacuum"), s.stateDir());
    assertEquals(Duration.ofSeconds(10), s.censusTimeout());
    assertEquals("jdbc-journal", node.config().getString("pekko.persistence.journal.plugin"));
    assertEquals("jdbc:h2:file:/var/lib/vacuum/journal/vacuum;DB_CLOSE_DELAY=-1",
        node.config().getString("pekko-persistence-jdbc.shared-databases.slick.db.url"));
    assertEquals(List.of("factory", "control", "factory=f1.example.com"),
        node.config().getStringList("pekko.cluster.roles"));
    assertEquals("127.0.0.1", node.config().getString("pekko.remote.artery.canonical.hostname"));
    assertEquals(7626, node.config().getInt("pekko.management.http.port"));
    assertEquals("localdomain", s.site(), "site defaults to the space without its first label");
  }

  @Test
  void operatorFileAndCommandLineOverrideInThatOrder() throws Exception {
    Path file = dir.resolve("vacuum.conf");
    Files.writeString(file, """
        vacuum {
          space = "vac01.example.org"
          state-dir = "/srv/from-file"
          admin.port = 8000
          seed-nodes = ["f1.example.org:7355"]
          journal = cassandra
          cassandra.contact-points = ["db1.example.org:9042"]
        }
        """);
    NodeConfig node = VacuumConfig.load(Optional.of(file),
        Map.of("vacuum.factory-name", "f2.example.org", "vacuum.state-dir", dir.toString()));
    assertEquals(dir, node.settings().stateDir());
    assertEquals(8000, node.settings().adminPort());
    assertEquals("vac01.example.org", node.settings().space());
    assertEquals(List.of("pekko://vacuum@f1.example.org:7355"), node.config().getStringList("pekko.cluster.seed-nodes"));
    assertEquals("pekko.persistence.cassandra.journal", node.config().getString("pekko.persistence.journal.plugin"));
    assertEquals(List.of("db1.example.org:9042"),
        node.config().getStringList("datastax-java-driver.basic.contact-points"));
  }

  @Test
  void aMissingConfigFileIsNamed() {
    Path missing = dir.resolve("nope.conf");
    ConfigException e = assertThrows(ConfigException.class, () -> VacuumConfig.load(Optional.of(missing), NAMED));
    assertTrue(e.getMessage().contains(missing.toString()), e.getMessage());
  }

  @Test
  void aSyntaxErrorNamesFileAndLine() throws Exception {
    Path file = dir.resolve("bad.conf");
    Files.writeString(file, "vacuum {\n  space = \"a.b\"\n  admin.port = {{\n}\n");
    ConfigException e = assertThrows(ConfigException.class, () -> VacuumConfig.load(Optional.of(file), NAMED));
    assertTrue(e.getMessage().contains("bad.conf: 3"), e.getMessage());
  }

  @Test
  void badValuesNameTheSettingAndWhere() throws Exception {
    Path file = dir.resolve("values.conf");
    Files.writeString(file, "vacuum.journal = mongo\n");
    ConfigException e = assertThrows(ConfigException.class, () -> VacuumConfig.load(Optional.of(file), NAMED));
    assertTrue(e.getMessage().contains("values.conf: 1"), e.getMessage());
    assertTrue(e.getMessage().contains("'mongo' is not a journal"), e.getMessage());

    Files.writeString(file, "vacuum.admin.port = 70000\n");
    e = assertThrows(ConfigException.class, () -> VacuumConfig.load(Optional.of(file), NAMED));
    assertTrue(e.getMessage().contains("vacuum.admin.port") && e.getMessage().contains("70000"), e.getMessage());

    Files.writeString(file, "vacuum.space = \"Not A Name\"\n");
    e = assertThrows(ConfigException.class, () -> VacuumConfig.load(Optional.of(file), NAMED));
    assertTrue(e.getMessage().contains("not a fully qualified name"), e.getMessage());

    Files.writeString(file, "vacuum.seed-nodes = [\"nohostport\"]\n");
    e = assertThrows(ConfigException.class, () -> VacuumConfig.load(Optional.of(file), NAMED));
    assertTrue(e.getMessage().contains("'nohostport' is not host:port"), e.getMessage());
  }

  @Test
  void aFactoryNameIsRequiredWhenTheHostHasNoFullyQualifiedName() throws Exception {
    String canonical = java.net.InetAddress.getLocalHost().getCanonicalHostName().toLowerCase();
    org.junit.jupiter.api.Assumptions.assumeFalse(canonical.contains("."), "this host has an FQDN: " + canonical);
    ConfigException e = assertThrows(ConfigException.class, () -> VacuumConfig.load(Optional.empty(), Map.of()));
    assertTrue(e.getMessage().contains("set vacuum.factory-name or VACUUM_FACTORY_NAME"), e.getMessage());
  }
}
