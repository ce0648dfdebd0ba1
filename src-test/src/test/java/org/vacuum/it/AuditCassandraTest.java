package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.node.VacuumNode;

/**
 * The read side on the production journal: a real Cassandra 5.0.9 (forked JVM) with the shipped
 * {@code vacuum-schema.cql} (tag views and projection offsets included), the node creating nothing.
 * A slot's lifecycle appears in the audit trail in order and its machine is accounted once.
 */
class AuditCassandraTest {

  @TempDir static Path dir;

  private static DevCassandra cassandra;

  @BeforeAll
  static void startCassandra() throws Exception {
    cassandra = DevCassandra.start(dir.resolve("cassandra"));
    cassandra.applySchema();
  }

  @AfterAll
  static void stopCassandra() throws Exception {
    if (cassandra != null) cassandra.close();
  }

  @Test
  void auditOfAFullSlotLifecycleOnCassandraListsEveryEventInOrderAndAccountsOnce() throws Exception {
    Path stateDir = dir.resolve("node");
    AuditAccountingTest.vacConf(stateDir);
    Map<String, Object> settings = AuditAccountingTest.factory("ca1", stateDir);
    cassandra.useAsJournal(settings);
    // Tag views are read this long after they are written (5 s by default): shorter for the test.
    settings.put("pekko.persistence.cassandra.events-by-tag.eventual-consistency-delay", "1s");
    settings.put("pekko.persistence.cassandra.query.refresh-interval", "1s");
    try (VacuumNode node = TestNodes.start(settings)) {
      String uuid = AuditAccountingTest.create(node, "ca1.example.com", "short");
      AuditAccountingTest.assertLifecycle(
          AuditAccountingTest.awaitLifecycle(node, "ca1-00.example.com", Duration.ofSeconds(60)), uuid);
      Path accounting = stateDir.resolve("accounting");
      TestNodes.await(Duration.ofSeconds(60), "the machine is accounted",
          () -> AuditAccountingTest.records(accounting, uuid).size() == 1);
      assertEquals(1, AuditAccountingTest.allRecords(accounting).size());
    }
  }
}
