package org.vacuum.factory;

import org.vacuum.host.FactoryHost;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumConfig;
import org.vacuum.config.VacuumSettings;
import org.vacuum.protocol.factory.FactoryProtocol.ClearDrain;
import org.vacuum.protocol.factory.FactoryProtocol.Command;
import org.vacuum.protocol.factory.FactoryProtocol.DrainCleared;
import org.vacuum.protocol.factory.FactoryProtocol.DrainSet;
import org.vacuum.protocol.factory.FactoryProtocol.Event;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryRegistered;
import org.vacuum.protocol.factory.FactoryProtocol.Heartbeat;
import org.vacuum.protocol.factory.FactoryProtocol.Register;
import org.vacuum.protocol.factory.FactoryProtocol.SetDrain;
import org.vacuum.protocol.factory.FactoryStatus;
import org.vacuum.protocol.factory.FactoryProtocol.Machinetypes;
import org.vacuum.protocol.factory.FactoryProtocol.MachinetypesQuery;
import org.vacuum.protocol.factory.FactoryProtocol.SlotsReconciled;
import org.vacuum.protocol.factory.FactoryProtocol.SlotChanged;
import org.vacuum.protocol.factory.MachinetypeStatus;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.VacConfReader;

class FactoryTest {

  private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final Instant NOW = Instant.parse("2026-11-21T12:00:00Z");

  @TempDir static Path stateDir;

  private EventSourcedBehaviorTestKit<Command, Event, Factory.State> factory;

  static VacuumSettings settings(Path stateDir) {
    return VacuumConfig.load(Optional.empty(), Map.of(
        "vacuum.factory-name", "f1.example.com", "vacuum.space", "vac01.example.com",
        "vacuum.state-dir", stateDir.toString(), "vacuum.total-processors", "8")).settings();
  }

  @BeforeEach
  void fresh() {
    // No hypervisor: these tests never reach a slot.
    FactoryHost host = new FactoryHost(settings(stateDir), null, null, Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC));
    factory = EventSourcedBehaviorTestKit.create(testKit.system(), Factory.create(host, new java.util.SplittableRandom(1)));
    factory.clear();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @Test
  void registeringPersistsWhereAndWhatTheFactoryRuns() {
    CommandResultWithReply<Command, Event, Factory.State, StatusReply<Done>> result =
        factory.runCommand(r -> new Register("vac01.example.com", "0.1.0", "pekko://vacuum@127.0.0.1:7355", r));
    assertTrue(result.reply().isSuccess());
    assertEquals(new FactoryRegistered("f1.example.com", "vac01.example.com", "0.1.0",
        "pekko://vacuum@127.0.0.1:7355", NOW), result.event());
    assertEquals(NOW, result.state().registeredAt());
  }

  @Test
  void registeringIntoAnotherSpaceIsRefusedAndPersistsNothing() {
    var result = factory.<StatusReply<Done>>runCommand(r -> new Register("other.example.com", "0.1.0", "n", r));
    assertTrue(result.reply().isError());
    assertTrue(result.reply().getError().getMessage().contains("belongs to space vac01.example.com"));
    assertTrue(result.hasNoEvents());
  }

  @Test
  void drainIsPersistedOnceAndClearedOnce() {
    var drained = factory.<StatusReply<FactoryStatus>>runCommand(r -> new SetDrain("kernel update", r));
    assertEquals(new DrainSet("kernel update", NOW), drained.event());
    assertTrue(drained.reply().getValue().draining());

    var again = factory.<StatusReply<FactoryStatus>>runCommand(r -> new SetDrain("again", r));
    assertTrue(again.hasNoEvents(), "draining a draining factory changes nothing");
    assertEquals("kernel update", again.state().drainReason());

    var cleared = factory.<StatusReply<FactoryStatus>>runCommand(ClearDrain::new);
    assertEquals(new DrainCleared(NOW), cleared.event());
    assertFalse(cleared.reply().getValue().draining());
    assertTrue(factory.<StatusReply<FactoryStatus>>runCommand(ClearDrain::new).hasNoEvents());
  }

  @Test
  void factoryQueryAnswersVacsFactoryStatusFields() {
    factory.<StatusReply<Done>>runCommand(r -> new Register("vac01.example.com", "0.1.0", "n", r));
    FactoryStatus s = factory.<StatusReply<FactoryStatus>>runCommand(FactoryQuery::new).reply().getValue();
    assertEquals("factory_status", s.messageType());
    assertEquals("VacQuery 01.03", s.vacqueryVersion());
    assertTrue(s.vacVersion().startsWith("vacuum "));
    assertEquals("vac01.example.com", s.space());
    assertEquals("f1.example.com", s.factory());
    assertEquals("f1", s.shortName());
    assertEquals(NOW.getEpochSecond(), s.timeSent());
    assertEquals(0, s.runningProcessors());
    assertEquals(0, s.runningMachines());
    assertEquals(8, s.maxProcessors());
    assertEquals(8, s.maxMachines());
    assertEquals(8.0, s.maxHs06());
    assertTrue(s.memTotalKb() > 0 && s.memUsedKb() > 0);
    assertTrue(s.daemonDiskAvailKb() > 0 && s.daemonDiskAvailInodes() > 0);
    assertTrue(s.bootTime() > 0);
    assertNotNull(s.kernelVersion());
    assertEquals(NOW.getEpochSecond(), s.factoryHeartbeatTime());
    assertEquals(NOW.getEpochSecond(), s.responderHeartbeatTime());
    assertNull(s.mjfHeartbeatTime());
  }

  @Test
  void heartbeatIsRememberedInMemoryOnly() {
    var result = factory.<StatusReply<Done>>runCommand(Heartbeat::new);
    assertTrue(result.reply().isSuccess());
    assertTrue(result.hasNoEvents());
    assertEquals(NOW.getEpochSecond(),
        factory.<StatusReply<FactoryStatus>>runCommand(FactoryQuery::new).reply().getValue().factoryHeartbeatTime());
  }

  @Test
  void restartRecoversRegistrationAndDrainFromTheJournal() {
    factory.<StatusReply<Done>>runCommand(r -> new Register("vac01.example.com", "0.1.0", "node-a", r));
    factory.<StatusReply<FactoryStatus>>runCommand(r -> new SetDrain("retiring", r));
    var restarted = factory.restart();
    assertEquals(new Factory.State("node-a", NOW, true, "retiring", NOW, null, null, null), restarted.state());
    assertTrue(factory.<StatusReply<FactoryStatus>>runCommand(FactoryQuery::new).reply().getValue().draining());
  }

  @Test
  void machinetypesQueryAnswersEveryTypeFromTheSlotsAndTheLastFinish() throws Exception {
    Path etc = java.nio.file.Files.createDirectories(stateDir.resolve("mt/etc"));
    Path image = java.nio.file.Files.write(etc.resolve("root.img"), new byte[512]);
    java.nio.file.Files.writeString(etc.resolve("vac.conf"), String.join("\n", "[settings]",
        "vac_space = vac01.example.com",
        // Draining: this test is about the query; no creation decision (it would need a cluster).
        "draining = true", "[machinetype lhcb]", "machine_model = vm-raw", "root_image = " + image,
        "fizzle_seconds = 600", "[machinetype atlas]", "machine_model = vm-raw", "root_image = " + image, ""));
    VacuumSettings settings = settings(stateDir);
    FactoryHost host = new FactoryHost(settings, null, null, Runnable::run, Clock.fixed(NOW, ZoneOffset.UTC));
    host.applied(VacConfReader.read(new VacuumSettings.VacConfPaths(etc.resolve("vac.d"), etc.resolve("vac.conf"),
        etc.resolve("run.conf")), Host.of("f1.example.com", 8, stateDir, vg -> false)));
    var kit = EventSourcedBehaviorTestKit.<Command, Event, Factory.State>create(testKit.system(),
        Factory.create(host, new java.util.SplittableRandom(1)));
    long now = NOW.getEpochSecond();
    kit.runCommand(new SlotChanged(new MachineStatus(null, null, null, null, null, null, 0, 0, "f1-00.example.com",
        MachineStatus.RUNNING, "vm-raw", "u0", now - 100, now - 90, now - 5, 2, 0, 0, 2.0, "lhcb", null, null, null,
        null)));
    kit.runCommand(new SlotChanged(new MachineStatus(null, null, null, null, null, null, 0, 0, "f1-01.example.com",
        MachineStatus.SHUT_DOWN, "vm-raw", "u1", now - 500, now - 480, now - 400, 1, 0, 0, 1.0, "lhcb", null, null,
        null, "machine stopped")));
    String early = kit.<StatusReply<Machinetypes>>runCommand(MachinetypesQuery::new).reply().getError().getMessage();
    assertTrue(early.contains("still reconciling its slots"), early);
    kit.runCommand(new SlotsReconciled());

    List<MachinetypeStatus> replies = kit.<StatusReply<Machinetypes>>runCommand(MachinetypesQuery::new)
        .reply().getValue().machinetypes();
    assertEquals(List.of("atlas", "lhcb"), replies.stream().map(MachinetypeStatus::machinetype).toList());
    MachinetypeStatus lhcb = replies.get(1);
    assertEquals("machinetype_status", lhcb.messageType());
    assertEquals("f1.example.com", lhcb.factory());
    assertEquals("VacQuery 01.03", lhcb.vacqueryVersion());
    assertEquals(now, lhcb.timeSent());
    assertEquals(1, lhcb.runningMachines());
    assertEquals(2, lhcb.runningProcessors());
    assertEquals(1, lhcb.numBeforeFizzle());
    assertEquals("300 Vac detects fizzle after 80 seconds", lhcb.shutdownMessage());
    assertEquals("f1-01.example.com", lhcb.shutdownMachine());
    assertEquals(0, replies.get(0).runningMachines());
    assertNull(replies.get(0).shutdownMessage());
  }

  @Test
  void aFactoryStartedOnTheWrongNodeRefusesAndStops() {
    var behavior = testKit.spawn(Factory.unreachable("f9.example.com"));
    TestProbe<StatusReply<FactoryStatus>> probe = testKit.createTestProbe();
    behavior.tell(new FactoryQuery(probe.ref()));
    StatusReply<FactoryStatus> reply = probe.receiveMessage();
    assertTrue(reply.isError());
    assertEquals("factory f9.example.com is unreachable: its node is not in the space", reply.getError().getMessage());
    probe.expectTerminated(behavior);
  }
}
