package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded default: an H2 file under the state directory, schema created on start. */
class H2JournalTest {

  @TempDir Path stateDir;

  @Test
  void persistStopStartRecoversStateFromTheH2File() throws Exception {
    JournalRecovery.persistStopStartRecovers(
        TestNodes.settings("h2", stateDir, TestNodes.freePort(), List.of()), "jdbc-read-journal");
    assertTrue(Files.exists(stateDir.resolve("journal/vacuum.mv.db")), "the journal is a file in the state dir");
  }
}
