package org.vacuum.it;

import com.datastax.oss.driver.api.core.CqlSession;
import com.datastax.oss.driver.api.core.DriverTimeoutException;
import com.datastax.oss.driver.api.core.config.DefaultDriverOption;
import com.datastax.oss.driver.api.core.config.DriverConfigLoader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Cassandra 5.0.9 for tests, in its own JVM, started and stopped with the project's
 * {@code deploy/dev-cassandra/dev-cassandra.sh}; and the shipped production schema applied to it.
 */
final class DevCassandra implements AutoCloseable {

  static final Path SCRIPT = Path.of("..", "deploy", "dev-cassandra", "dev-cassandra.sh").toAbsolutePath().normalize();
  static final Path SCHEMA = Path.of("..", "deploy", "src", "main", "dist", "cassandra", "vacuum-schema.cql")
      .toAbsolutePath().normalize();

  final Path dir;
  final int port;

  private DevCassandra(Path dir, int port) {
    this.dir = dir;
    this.port = port;
  }

  static DevCassandra start(Path dir) throws IOException, InterruptedException {
    int port = TestNodes.freePort();
    // Both ports free now, rather than the storage port the script would derive from the CQL port.
    String storagePort = String.valueOf(TestNodes.freePort());
    run(List.of(SCRIPT.toString(), "start", "--dir", dir.toString(), "--port", String.valueOf(port),
        "--storage-port", storagePort, "--timeout", "180"), 600);
    return new DevCassandra(dir, port);
  }

  /** Makes this Cassandra the journal of a node with these settings, its tables from the schema alone. */
  void useAsJournal(Map<String, Object> settings) {
    settings.put("vacuum.journal", "cassandra");
    settings.put("vacuum.cassandra.contact-points", List.of(contactPoint()));
    settings.put("vacuum.cassandra.autocreate", false);
  }

  String contactPoint() {
    return "127.0.0.1:" + port;
  }

  /** Runs the shipped schema, statement by statement, as an operator would with cqlsh. */
  void applySchema() throws IOException {
    List<String> statements = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(SCHEMA)) {
      if (line.strip().startsWith("--")) continue;
      current.append(line).append('\n');
      if (line.strip().endsWith(";")) {
        statements.add(current.toString().strip());
        current.setLength(0);
      }
    }
    // Right after Cassandra says it is ready, DDL on a loaded 2-core machine can take far longer than
    // the driver's 2-s default: give it a minute, and retry a statement that timed out (every one is
    // IF NOT EXISTS, so a retry of one that did land is harmless).
    DriverConfigLoader patient = DriverConfigLoader.programmaticBuilder()
        .withDuration(DefaultDriverOption.REQUEST_TIMEOUT, Duration.ofSeconds(60))
        .withDuration(DefaultDriverOption.CONNECTION_INIT_QUERY_TIMEOUT, Duration.ofSeconds(30))
        .withDuration(DefaultDriverOption.METADATA_SCHEMA_REQUEST_TIMEOUT, Duration.ofSeconds(60))
        .withDuration(DefaultDriverOption.CONTROL_CONNECTION_AGREEMENT_TIMEOUT, Duration.ofSeconds(60))
        .build();
    try (CqlSession session = CqlSession.builder()
        .addContactPoint(new InetSocketAddress("127.0.0.1", port))
        .withLocalDatacenter("datacenter1")
        .withConfigLoader(patient)
        .build()) {
      for (String statement : statements) {
        for (int attempt = 1; ; attempt++) {
          try {
            session.execute(statement);
            break;
          } catch (DriverTimeoutException e) {
            if (attempt == 3) throw e;
          }
        }
      }
    }
  }

  @Override
  public void close() throws IOException, InterruptedException {
    run(List.of(SCRIPT.toString(), "stop", "--dir", dir.toString()), 120);
  }

  private static void run(List<String> command, int seconds) throws IOException, InterruptedException {
    Path log = Files.createTempFile("dev-cassandra", ".log");
    Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IllegalStateException(String.join(" ", command) + " failed:\n" + Files.readString(log));
    }
    System.out.print(Files.readString(log));
  }

  @Override
  public String toString() {
    return "dev Cassandra on " + contactPoint() + " in " + dir;
  }
}
