package org.vacuum.it;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The production journal on a real Cassandra 5.0.9 (forked JVM), with the tables created by the
 * shipped {@code vacuum-schema.cql} exactly as production does: the node itself creates nothing.
 */
class CassandraJournalTest {

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
  void persistStopStartRecoversStateFromCassandra() throws Exception {
    Map<String, Object> settings = TestNodes.settings("c1", dir.resolve("node"), TestNodes.freePort(), List.of());
    cassandra.useAsJournal(settings);
    JournalRecovery.persistStopStartRecovers(settings, "pekko.persistence.cassandra.query");
  }
}
