package org.vacuum.accounting.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class AuditLineTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void jsonLineRoundTripsWithKeysInOrder() throws Exception {
    AuditLine line = new AuditLine("17", Instant.parse("2026-11-21T12:00:00Z"), "Slot:f1-00.example.com",
        "MachineStarted", JSON.readTree("{\"uuid\":\"u1\",\"at\":\"2026-11-21T12:00:00Z\"}"));
    String json = line.toJson();
    assertEquals("{\"offset\":\"17\",\"time\":\"2026-11-21T12:00:00Z\",\"entity\":\"Slot:f1-00.example.com\","
        + "\"event\":\"MachineStarted\",\"fields\":{\"uuid\":\"u1\",\"at\":\"2026-11-21T12:00:00Z\"}}", json);
    assertEquals(line, AuditLine.parse(json));
  }

  @Test
  void rowShowsTimeEntityEventAndShortFieldsWithoutNulls() throws Exception {
    AuditLine line = new AuditLine("1", Instant.parse("2026-11-21T12:00:00.123Z"), "Factory:f1.example.com",
        "DrainSet", JSON.readTree("{\"reason\":\"kernel update\",\"by\":null,\"n\":3}"));
    String row = line.row();
    assertTrue(row.startsWith("2026-11-21 12:00:00  Factory:f1.example.com"), row);
    assertTrue(row.endsWith("DrainSet              reason=kernel update n=3"), row);
  }

  @Test
  void longFieldsAreCut() throws Exception {
    String shortened = AuditLine.shortFields(JSON.readTree("{\"text\":\"" + "x".repeat(300) + "\"}"));
    assertEquals(AuditLine.SHORT_FIELDS, shortened.length());
    assertTrue(shortened.endsWith("..."));
  }

  @Test
  void persistenceIdBecomesTypeColonId() {
    assertEquals("Slot:f1-00.example.com", AuditLine.entityOf("Slot|f1-00.example.com"));
    assertEquals("odd", AuditLine.entityOf("odd"));
  }

  @Test
  void aLineThatIsNotAnAuditLineIsRefusedNamingTheKey() {
    var e = assertThrows(IllegalArgumentException.class, () -> AuditLine.parse("{\"offset\":\"1\"}"));
    assertTrue(e.getMessage().contains("\"time\""), e.getMessage());
  }

  @Test
  void filterMatchesTypeIdAndHalfOpenTimeRange() {
    AuditFilter f = AuditFilter.parse("Slot:f1-00.example.com", "2026-11-21T12:00:00Z", "2026-11-21T13:00:00Z");
    Instant in = Instant.parse("2026-11-21T12:30:00Z");
    assertTrue(f.matches("Slot|f1-00.example.com", in));
    assertFalse(f.matches("Slot|f1-01.example.com", in));
    assertFalse(f.matches("Factory|f1-00.example.com", in));
    assertTrue(f.matches("Slot|f1-00.example.com", Instant.parse("2026-11-21T12:00:00Z")));
    assertFalse(f.matches("Slot|f1-00.example.com", Instant.parse("2026-11-21T13:00:00Z")));
    assertTrue(AuditFilter.parse("Slot", null, "").matches("Slot|f9-03.example.com", in));
    assertTrue(AuditFilter.ALL.matches("User|alice", in));
  }

  @Test
  void badFilterValuesAreRefusedNamingTheParameter() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AuditFilter.parse("Slot:", null, null))
        .getMessage().contains("TYPE:ID"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> AuditFilter.parse(null, "yesterday", null))
        .getMessage().startsWith("since 'yesterday'"));
    assertTrue(assertThrows(IllegalArgumentException.class,
        () -> AuditFilter.parse(null, "2026-11-21T13:00:00Z", "2026-11-21T12:00:00Z")).getMessage().contains("not before"));
  }
}
