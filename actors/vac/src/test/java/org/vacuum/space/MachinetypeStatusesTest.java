package org.vacuum.space;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.vacuum.config.VacuumSettings.VacConfPaths;
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.VacConf;
import org.vacuum.config.vac.VacConfReader;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.protocol.slot.MachineStatus;

class MachinetypeStatusesTest {

  private static final long NOW = 1_800_000_000L;
  private static final MachinetypeStatuses.Header HEADER = new MachinetypeStatuses.Header("Vac vacuum 1", "Vac vacuum 1 factory",
      "VacQuery 01.03", "vac01.example.com", "f1.example.com", "example.com");

  @TempDir static Path dir;
  private static VacConf conf;

  @BeforeAll
  static void readConf() throws Exception {
    Path image = Files.write(dir.resolve("root.img"), new byte[512]);
    Path file = dir.resolve("vac.conf");
    Files.writeString(file, """
        [settings]
        vac_space = vac01.example.com
        mb_per_processor = 2048

        [machinetype lhcb]
        machine_model = vm-raw
        root_image = %1$s
        fizzle_seconds = 600
        max_wallclock_seconds = 86400
        max_processors = 8
        accounting_fqan = /lhcb/Role=NULL

        [machinetype atlas]
        machine_model = vm-raw
        root_image = %1$s
        """.formatted(image));
    conf = VacConfReader.read(new VacConfPaths(dir.resolve("vac.d"), file, dir.resolve("run.conf")),
        Host.of("f1.example.com", 16, dir.resolve("state"), vg -> false));
  }

  /** A slot of this factory: state, machinetype, processors, hs06, and times as seconds before NOW (-1 = unset). */
  static MachineStatus slot(String machine, String state, String type, int processors, double hs06, long createdAgo,
      long startedAgo, long heartbeatAgo, String message, long messageAgo) {
    return new MachineStatus(null, null, null, null, null, null, 0, 0, machine, state, "vm-raw", "u-" + machine,
        ago(createdAgo), ago(startedAgo), ago(heartbeatAgo), processors, 0, 0, hs06, type, message, ago(messageAgo),
        null, null);
  }

  private static Long ago(long seconds) {
    return seconds < 0 ? null : NOW - seconds;
  }

  private static MachinetypeStatus lhcb(List<MachineStatus> slots, Map<String, MachineStatus> finishes) {
    return MachinetypeStatuses.of(HEADER, conf, slots, finishes, NOW).stream()
        .filter(s -> s.machinetype().equals("lhcb")).findFirst().orElseThrow();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
      # case                                   | state     | type  | procs | hs06 | created | started | heartbeat | machines | processors | hs06 | beforeFizzle
      running past fizzle_seconds               | Running   | lhcb  | 4     | 40   | 5000    | 4900    | 30        | 1        | 4          | 40   | 0
      running, started within fizzle_seconds    | Running   | lhcb  | 4     | 40   | 200     | 100     | 30        | 1        | 4          | 40   | 1
      running, heartbeat an hour old            | Running   | lhcb  | 4     | 40   | 9000    | 8900    | 3600      | 0        | 0          | 0    | 0
      paused counts as started and not finished | Paused    | lhcb  | 2     | 20   | 5000    | 4900    | 30        | 1        | 2          | 20   | 0
      running without hs06: 1.0 per processor   | Running   | lhcb  | 3     | 0    | 5000    | 4900    | 30        | 1        | 3          | 3    | 0
      starting counts one processor             | Starting  | lhcb  | 4     | 40   | 10      | -1      | -1        | 1        | 1          | 40   | 1
      starting, created an hour ago             | Starting  | lhcb  | 1     | 40   | 3600    | -1      | -1        | 0        | 0          | 0    | 0
      being created: no created time yet        | Starting  | lhcb  | 4     | 0    | -1      | -1      | -1        | 1        | 1          | 1    | 1
      another machinetype                       | Running   | atlas | 4     | 40   | 5000    | 4900    | 30        | 0        | 0          | 0    | 0
      shut down                                 | Shut down | lhcb  | 4     | 40   | 5000    | 4900    | 300       | 0        | 0          | 0    | 0
      """)
  void countsRunningAndStartingMachinesAsVacsResponderDoes(String name, String state, String type, int procs,
      double hs06, long created, long started, long heartbeat, int machines, int processors, double expectedHs06,
      int beforeFizzle) {
    MachineStatus s = slot("f1-00.example.com", state, type, procs, hs06, created, started, heartbeat, null, -1);
    MachinetypeStatus status = lhcb(List.of(s), Map.of());
    assertEquals(machines, status.runningMachines(), "running_machines");
    assertEquals(processors, status.runningProcessors(), "running_processors");
    assertEquals(expectedHs06, status.runningHs06(), 1e-9, "running_hs06");
    assertEquals(beforeFizzle, status.numBeforeFizzle(), "num_before_fizzle");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "null", textBlock = """
      # case                                      | started | heartbeat | message     | messageAgo | expected message                           | expected time ago | machine
      a message is reported with its time          | 5000    | 60        | 300 No work | 50         | 300 No work                                | 50                | f1-03.example.com
      no message, ran less than fizzle_seconds     | 5000    | 4880      | null        | -1         | 300 Vac detects fizzle after 120 seconds  | 4880              | f1-03.example.com
      no message, ran fizzle_seconds or longer     | 5000    | 4400      | null        | -1         | null                                       | -1                | f1-03.example.com
      no message, never started                    | -1      | -1        | null        | -1         | null                                       | -1                | f1-03.example.com
      a message wins over a short run              | 5000    | 4990      | 200 Done    | 4990       | 200 Done                                   | 4990              | f1-03.example.com
      """)
  void theTypesLastFinishGivesTheOutcomeWithVacsFizzleFallback(String name, long started, long heartbeat,
      String message, long messageAgo, String expectedMessage, long expectedAgo, String machine) {
    MachineStatus finished = slot("f1-03.example.com", "Shut down", "lhcb", 4, 40, 5100, started, heartbeat, message,
        messageAgo);
    MachinetypeStatus status = lhcb(List.of(), Map.of("lhcb", finished));
    assertEquals(expectedMessage, status.shutdownMessage());
    assertEquals(ago(expectedAgo), status.shutdownTime());
    assertEquals(machine, status.shutdownMachine());
  }

  @Test
  void everyConfiguredTypeIsAnsweredWithItsConfigurationAndTheHeader() {
    List<MachinetypeStatus> all = MachinetypeStatuses.of(HEADER, conf, List.of(), Map.of(), NOW);
    assertEquals(List.of("atlas", "lhcb"), all.stream().map(MachinetypeStatus::machinetype).toList());
    MachinetypeStatus lhcb = all.get(1);
    assertEquals(2, lhcb.numMachinetypes());
    assertEquals(2048L << 20, lhcb.bytesPerProcessor());
    assertEquals(86400, lhcb.maxWallclockSeconds());
    assertEquals(8, lhcb.maxProcessors());
    assertEquals("/lhcb/Role=NULL", lhcb.fqan());
    assertEquals("f1.example.com", lhcb.factory());
    assertEquals("vac01.example.com", lhcb.space());
    assertEquals("example.com", lhcb.site());
    assertEquals(NOW, lhcb.timeSent());
    assertEquals(0, lhcb.runningMachines());
    assertNull(lhcb.shutdownMessage());
    assertNull(lhcb.shutdownMachine());
    assertNull(all.get(0).fqan());
  }

  @Test
  void totalsAddUpOverTheSlotsOfTheType() {
    List<MachineStatus> slots = List.of(
        slot("f1-00.example.com", "Running", "lhcb", 4, 40, 5000, 4900, 30, null, -1),
        slot("f1-01.example.com", "Starting", "lhcb", 1, 10, 20, -1, -1, null, -1),
        slot("f1-02.example.com", "Running", "lhcb", 2, 20, 300, 200, 10, null, -1),
        MachineStatus.empty("f1-03.example.com"));
    MachinetypeStatus status = lhcb(slots, Map.of());
    assertEquals(3, status.runningMachines());
    assertEquals(7, status.runningProcessors());
    assertEquals(70, status.runningHs06(), 1e-9);
    assertEquals(2, status.numBeforeFizzle());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      # case                                         | state     | machine           | createdAgo | message      | remembered | kept machine
      a more recently created finish replaces        | Shut down | f1-05.example.com | 100        | 300 No work  | true       | f1-05.example.com
      an earlier created finish does not            | Shut down | f1-05.example.com | 9000       | 300 No work  | false      | f1-03.example.com
      the same machine's later word replaces        | Shut down | f1-03.example.com | 5100       | 500 Broken   | true       | f1-03.example.com
      a running machine is no finish                | Running   | f1-05.example.com | 100        | ''           | false      | f1-03.example.com
      """)
  void theFactoryRemembersTheMostRecentlyCreatedFinishPerType(String name, String state, String machine,
      long createdAgo, String message, boolean remembered, String kept) {
    Map<String, MachineStatus> finishes = new HashMap<>();
    finishes.put("lhcb", slot("f1-03.example.com", "Shut down", "lhcb", 4, 40, 5100, 5000, 60, null, -1));
    MachineStatus status = slot(machine, state, "lhcb", 4, 40, createdAgo, createdAgo - 10, 5, message.isEmpty()
        ? null : message, 5);
    assertEquals(remembered, MachinetypeStatuses.remember(finishes, status));
    assertEquals(kept, finishes.get("lhcb").machine());
    if (remembered) {
      assertEquals(message, finishes.get("lhcb").shutdownMessage());
    }
  }

  @Test
  void anEmptySlotIsNoFinish() {
    Map<String, MachineStatus> finishes = new HashMap<>();
    assertEquals(false, MachinetypeStatuses.remember(finishes, MachineStatus.empty("f1-00.example.com")));
    assertEquals(Map.of(), finishes);
  }
}
