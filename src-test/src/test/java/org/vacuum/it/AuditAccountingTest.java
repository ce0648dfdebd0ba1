package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.node.VacuumNode;

/**
 * The read side on the H2 journal with real nodes on libvirt's fake hypervisor: the audit trail of
 * a slot's whole lifecycle, APEL accounting driven by the journal (exactly one record per machine
 * across a crash between record and offset, and for a machine that finished while the node was
 * down), and a month's records rebuilt from the events equal to the archive.
 */
class AuditAccountingTest {

  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path stateDir;

  static Map<String, Object> factory(String name, Path stateDir) {
    Map<String, Object> s = TestNodes.factorySettings(name, stateDir, TestNodes.freePort(), List.of(), 2);
    s.put("vacuum.accounting.dir", stateDir.resolve("accounting").toString());
    return s;
  }

  /** vac.conf with fizzle_seconds 0, so machines of a few seconds are accounted. */
  static void vacConf(Path stateDir) throws IOException {
    TestNodes.writeVacConf(stateDir, """
        [settings]
        vac_space = vac01.example.com
        mb_per_processor = 256
        gocdb_sitename = UK-TEST
        hs06_per_processor = 10.0

        [machinetype short]
        target_share = 0
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        max_wallclock_seconds = 3
        fizzle_seconds = 0
        accounting_fqan = /lhcb/Role=pilot

        [machinetype medium]
        target_share = 0
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        max_wallclock_seconds = 6
        fizzle_seconds = 0
        """);
  }

  @Test
  void auditOfAFullSlotLifecycleListsEveryEventInOrderAndRebuildEqualsTheArchive() throws Exception {
    vacConf(stateDir);
    try (VacuumNode node = TestNodes.start(factory("au1", stateDir))) {
      String uuid = create(node, "au1.example.com", "short");
      List<JsonNode> lines = awaitLifecycle(node, "au1-00.example.com", Duration.ofSeconds(30));
      assertLifecycle(lines, uuid);

      Path accounting = stateDir.resolve("accounting");
      TestNodes.await(Duration.ofSeconds(20), "the machine is accounted", () -> records(accounting, uuid).size() == 1);
      String archived = records(accounting, uuid).get(0);
      assertTrue(archived.contains("Site: UK-TEST\n") && archived.contains("FQAN: /lhcb/Role=pilot\n")
          && archived.contains("ServiceLevel: 10.0\n"), archived);

      // Rebuilt from the events: the same set of record texts as the archive holds for the month.
      String month = YearMonth.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMM"));
      List<String> rebuilt = new ArrayList<>();
      for (String line : ndjson(node, "/api/v1/audit/accounting/" + month)) {
        rebuilt.add(JSON.readTree(line).path("record").asText());
      }
      assertEquals(allRecords(accounting), rebuilt.stream().sorted().toList());

      var bad = TestNodes.get(node, "/api/v1/audit?since=yesterday");
      assertEquals(400, bad.statusCode(), bad.body());
      assertTrue(bad.body().contains("since 'yesterday'"), bad.body());
    }
  }

  @Test
  void crashBetweenRecordAndOffsetLeavesOneRecordAfterRestart() throws Exception {
    vacConf(stateDir);
    Map<String, Object> settings = factory("cr1", stateDir);
    Path accounting = stateDir.resolve("accounting");
    Map<String, Object> crashing = new HashMap<>(settings);
    crashing.put("vacuum.accounting.test-crash-after-write", "on");
    String first;
    try (VacuumNode node = TestNodes.start(crashing)) {
      first = create(node, "cr1.example.com", "short");
      TestNodes.await(Duration.ofSeconds(30), "the record is written (then the projection fails before its offset)",
          () -> records(accounting, first).size() == 1);
    }
    try (VacuumNode node = TestNodes.start(settings)) {
      // The projection replays from before the first machine's end; a second machine accounted
      // after it proves the replay passed the first one.
      String second = create(node, "cr1.example.com", "short");
      TestNodes.await(Duration.ofSeconds(30), "the second machine is accounted",
          () -> records(accounting, second).size() == 1);
      assertEquals(1, records(accounting, first).size(), "one record for the machine of the crash");
      assertEquals(2, allRecords(accounting).size());
    }
  }

  @Test
  void machineFinishingWhileTheNodeIsDownIsAccountedOnceAfterRestart() throws Exception {
    vacConf(stateDir);
    Map<String, Object> settings = factory("dn1", stateDir);
    Path accounting = stateDir.resolve("accounting");
    String uuid;
    Instant shutdownTime;
    try (VacuumNode node = TestNodes.start(settings)) {
      JsonNode created = createMachine(node, "dn1.example.com", "medium");
      uuid = created.path("uuid").asText();
      // Seen running at least once, so it has a heartbeat to be accounted by.
      TestNodes.await(Duration.ofSeconds(5), "the machine has a heartbeat",
          () -> machine(node, "dn1-00.example.com").path("heartbeat_time").asLong() > 0);
      shutdownTime = Instant.now().plusSeconds(6);
    }
    // The domain keeps running on test:///default while the node is down, past its wallclock limit.
    TestNodes.await(Duration.ofSeconds(15), "the wallclock limit passes while the node is down",
        () -> Instant.now().isAfter(shutdownTime));
    assertEquals(0, records(accounting, uuid).size());
    try (VacuumNode node = TestNodes.start(settings)) {
      TestNodes.await(Duration.ofSeconds(30), "the machine is finished and accounted after the restart",
          () -> records(accounting, uuid).size() == 1);
      assertEquals(1, allRecords(accounting).size());
    }
  }

  // ---- helpers, shared with the Cassandra test -----------------------------------------------------

  static String create(VacuumNode node, String factory, String machinetype) throws Exception {
    return createMachine(node, factory, machinetype).path("uuid").asText();
  }

  static JsonNode createMachine(VacuumNode node, String factory, String machinetype) throws Exception {
    var response = TestNodes.post(node, "/api/v1/factories/" + factory + "/machines",
        "{\"machinetype\": \"" + machinetype + "\"}");
    assertEquals(201, response.statusCode(), response.body());
    return JSON.readTree(response.body());
  }

  static JsonNode machine(VacuumNode node, String machine) {
    try {
      return JSON.readTree(TestNodes.get(node, "/api/v1/machines/" + machine).body());
    } catch (Exception e) {
      throw new AssertionError("GET /api/v1/machines/" + machine + ": " + e, e);
    }
  }

  /** The audit lines of one slot once its machine is Released. */
  static List<JsonNode> awaitLifecycle(VacuumNode node, String machine, Duration limit) throws Exception {
    List<List<JsonNode>> seen = new ArrayList<>(List.of(List.of()));
    try {
      TestNodes.await(limit, "the slot's audit trail ends with Released", () -> {
        List<JsonNode> lines = new ArrayList<>();
        for (String line : ndjson(node, "/api/v1/audit?entity=Slot:" + machine)) {
          try {
            lines.add(JSON.readTree(line));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
        seen.set(0, lines);
        return !lines.isEmpty() && lines.get(lines.size() - 1).path("event").asText().equals("Released");
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; trail so far: " + seen.get(0), e);
    }
    return seen.get(0);
  }

  /** MachineCreated, MachineStarted, (HeartbeatSeen...), MachineFinished, Released, in journal order. */
  static void assertLifecycle(List<JsonNode> lines, String uuid) {
    List<String> events = lines.stream().map(l -> l.path("event").asText())
        .filter(e -> !e.equals("HeartbeatSeen")).toList();
    assertEquals(List.of("MachineCreated", "MachineStarted", "MachineFinished", "Released"), events, lines.toString());
    for (JsonNode line : lines) {
      assertTrue(line.path("entity").asText().startsWith("Slot:"), line.toString());
      assertEquals(uuid, line.path("fields").path("uuid").asText(), line.toString());
      assertTrue(!line.path("offset").asText().isEmpty() && !line.path("time").asText().isEmpty(), line.toString());
    }
    assertEquals("short", lines.get(0).path("fields").path("machinetype").asText());
    assertEquals("wallclock limit reached", lines.stream().filter(l -> l.path("event").asText().equals("MachineFinished"))
        .findFirst().orElseThrow().path("fields").path("reason").asText());
    Instant previous = Instant.MIN;
    for (JsonNode line : lines) {
      Instant time = Instant.parse(line.path("time").asText());
      assertTrue(!time.isBefore(previous), "journal order is time order for one entity: " + lines);
      previous = time;
    }
  }

  static List<String> ndjson(VacuumNode node, String path) {
    try {
      HttpResponse<Stream<String>> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path)).GET().build(),
          HttpResponse.BodyHandlers.ofLines());
      try (Stream<String> lines = r.body()) {
        List<String> all = lines.filter(l -> !l.isBlank()).toList();
        if (r.statusCode() != 200) throw new AssertionError("GET " + path + " answered " + r.statusCode() + ": " + all);
        assertEquals("application/x-ndjson", r.headers().firstValue("Content-Type").orElse(""));
        return all;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** The records in apel-archive naming this machine. */
  static List<String> records(Path accounting, String uuid) {
    return allRecords(accounting).stream().filter(r -> r.contains("LocalJobId: " + uuid + "\n")).toList();
  }

  /** Every record in apel-archive, sorted. */
  static List<String> allRecords(Path accounting) {
    Path archive = accounting.resolve("apel-archive");
    if (!Files.isDirectory(archive)) return List.of();
    try (Stream<Path> files = Files.walk(archive)) {
      return files.filter(Files::isRegularFile).map(f -> {
        try {
          return Files.readString(f);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
