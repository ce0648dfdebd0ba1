package org.vacuum.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** {@code vacuum.accounting.dir}: where apel-archive/ and apel-outgoing/ are. */
class AccountingSettingsTest {

  @Test
  void theAccountingDirectoryIsTheStateDirectoryUnlessSet() {
    VacuumSettings s = VacuumConfig.load(Optional.empty(),
        Map.of("vacuum.factory-name", "f1.example.com", "vacuum.state-dir", "/srv/vacuum")).settings();
    assertEquals(Path.of("/srv/vacuum"), s.accountingDir());
  }

  @Test
  void theAccountingDirectoryCanBeSetApartFromTheStateDirectory() {
    VacuumSettings s = VacuumConfig.load(Optional.empty(), Map.of("vacuum.factory-name", "f1.example.com",
        "vacuum.state-dir", "/srv/vacuum", "vacuum.accounting.dir", "/var/spool/apel")).settings();
    assertEquals(Path.of("/var/spool/apel"), s.accountingDir());
    assertEquals(Path.of("/srv/vacuum"), s.stateDir());
  }
}
