package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.node.StartupException;

/** A node whose journal does not answer does not come up half-way: it stops and says why. */
class JournalUnreachableTest {

  @TempDir Path stateDir;

  @Test
  void aCassandraJournalThatDoesNotAnswerStopsStartWithItsAddress() {
    int nothingThere = TestNodes.freePort();
    Map<String, Object> settings = TestNodes.settings("j1", stateDir, TestNodes.freePort(), List.of());
    settings.put("vacuum.journal", "cassandra");
    settings.put("vacuum.cassandra.contact-points", List.of("127.0.0.1:" + nothingThere));
    settings.put("vacuum.journal-timeout", "4s");
    StartupException e = assertThrows(StartupException.class, () -> TestNodes.start(settings));
    assertTrue(e.getMessage().startsWith("the Cassandra journal at [127.0.0.1:" + nothingThere + "] (keyspace vacuum)"
        + " did not accept factory j1.example.com's registration within 4 s"), e.getMessage());
  }
}
