package org.vacuum.factory;

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
    factory = EventSourcedBehaviorTestKit.create(testKit.system(), Factory.create(host, new PlaceholderChooser()));
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
