package org.vacuum.slot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.libvirt.Connect;
import org.vacuum.hypervisor.libvirt.LibvirtHypervisor;
import org.vacuum.config.VacuumConfig;
import org.vacuum.config.VacuumSettings;
import org.vacuum.config.vac.Host;
import org.vacuum.config.vac.VacConfReader;
import org.vacuum.host.FactoryHost;
import org.vacuum.hypervisor.Hypervisor;
import org.vacuum.hypervisor.image.ImageCache;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotProtocol.Command;
import org.vacuum.protocol.slot.SlotProtocol.Create;
import org.vacuum.protocol.slot.SlotProtocol.Destroy;
import org.vacuum.protocol.slot.SlotProtocol.Event;
import org.vacuum.protocol.slot.SlotProtocol.HeartbeatSeen;
import org.vacuum.protocol.slot.SlotProtocol.JoboutputWritten;
import org.vacuum.protocol.slot.SlotProtocol.MachineCreated;
import org.vacuum.protocol.slot.SlotProtocol.MachineFinished;
import org.vacuum.protocol.slot.SlotProtocol.MachineStarted;
import org.vacuum.protocol.slot.SlotProtocol.Released;
import org.vacuum.protocol.slot.SlotProtocol.ShutdownMessage;
import org.vacuum.protocol.slot.SlotProtocol.ShutdownTimeLowered;

/**
 * The {@link Slot} entity on libvirt's fake hypervisor ({@code test:///default}): a machine's life
 * from creation to release, and each way Vac ends a machine, checked through the events it persists
 * and the domain libvirt shows.
 */
class SlotTest {

  private static int factories;

  private ActorTestKit testKit;

  @TempDir Path stateDir;

  private String factory;
  private String machine;
  private FactoryHost host;
  private Hypervisor hypervisor;
  private EventSourcedBehaviorTestKit<Command, Event, Slot.State> slot;
  private final List<MachineStatus> changes = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    // A factory name per test: test:///default keeps domains for the life of the JVM.
    factory = "st" + (++factories) + ".example.com";
    machine = factory.replaceFirst("\\.", "-00.");
    VacuumSettings settings = VacuumConfig.load(Optional.empty(), Map.of(
        "vacuum.factory-name", factory, "vacuum.space", "vac01.example.com",
        "vacuum.state-dir", stateDir.toString(), "vacuum.total-processors", "4",
        "vacuum.slot.check-interval", "100ms", "vacuum.slot.heartbeat-persist-interval", "200ms",
        "vacuum.slot.shutdown-grace", "1s",
        "vacuum.vac-conf.dir", stateDir.resolve("vac.d").toString(),
        "vacuum.vac-conf.file", stateDir.resolve("vac.conf").toString(),
        "vacuum.vac-conf.run-file", stateDir.resolve("run-vac.conf").toString())).settings();
    hypervisor = LibvirtHypervisor.connect(settings.hypervisor(), stateDir, factory);
    host = new FactoryHost(settings, hypervisor, new ImageCache(stateDir), Executors.newCachedThreadPool(),
        Clock.systemUTC());
    host.onSlotChanged(changes::add);
    writeConf("");
    testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
    slot = EventSourcedBehaviorTestKit.create(testKit.system(), Slot.create(machine, host));
  }

  @AfterEach
  void stop() throws Exception {
    testKit.shutdownTestKit();
    hypervisor.destroy(machine);
    hypervisor.releaseDisks(machine);
    hypervisor.close();
  }

  private void writeConf(String settingsExtra) throws Exception {
    Path image = stateDir.resolve("root.img");
    if (!Files.exists(image)) {
      Files.write(image, new byte[1 << 20]);
    }
    Files.writeString(stateDir.resolve("vac.conf"), """
        [settings]
        vac_space = vac01.example.com
        mb_per_processor = 512
        hs06_per_processor = 10
        %s

        [machinetype short]
        machine_model = vm-raw
        root_image = %s
        max_wallclock_seconds = 2
        accounting_fqan = /lhcb/Role=NULL/Capability=NULL

        [machinetype long]
        machine_model = vm-raw
        root_image = %s
        max_wallclock_seconds = 3600

        [machinetype beating]
        machine_model = vm-raw
        root_image = %s
        fizzle_seconds = 1
        heartbeat_file = vm-heartbeat
        """.formatted(settingsExtra, image, image, image));
    host.applied(VacConfReader.read(host.settings().vacConf(),
        Host.of(factory, 4, stateDir, vg -> false)));
  }

  private MachineStatus create(String machinetype, int processors, long wallclock) {
    TestProbe<StatusReply<MachineStatus>> probe = testKit.createTestProbe();
    slot.runCommand(new Create(machinetype, processors, Instant.now().getEpochSecond() + wallclock, probe.getRef()));
    StatusReply<MachineStatus> reply = probe.expectMessageClass(StatusReply.class, Duration.ofSeconds(20));
    assertTrue(reply.isSuccess(), () -> "create failed: " + reply.getError());
    return reply.getValue();
  }

  private List<Event> persisted() {
    List<Event> events = new ArrayList<>();
    for (Object e : slot.persistenceTestKit().persistedInStorage("Slot|" + machine)) {
      events.add((Event) e);
    }
    return events;
  }

  private void awaitEvent(Class<? extends Event> type, Duration limit) throws InterruptedException {
    Instant deadline = Instant.now().plus(limit);
    while (persisted().stream().noneMatch(type::isInstance)) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("no " + type.getSimpleName() + " within " + limit + "; events: " + persisted());
      }
      Thread.sleep(20);
    }
  }

  private <E extends Event> E last(Class<E> type) {
    List<Event> events = persisted();
    for (int i = events.size() - 1; i >= 0; i--) {
      if (type.isInstance(events.get(i))) return type.cast(events.get(i));
    }
    throw new AssertionError("no " + type.getSimpleName() + " in " + events);
  }

  private boolean domainExists() throws Exception {
    return hypervisor.lookup(machine).isPresent();
  }

  @Test
  void createRunsTheMachineUntilItsWallclockThenFinishesAndReleases() throws Exception {
    MachineStatus running = create("short", 2, 2);
    assertEquals("Running", running.state());
    assertEquals(machine, running.machine());
    assertEquals(2, running.numProcessors());
    assertEquals(20.0, running.hs06(), 1e-9);
    assertEquals(running.uuid(), hypervisor.lookup(machine).orElseThrow().uuid().toString());
    assertEquals(running.uuid(), host.byOrdinal(0).orElseThrow().uuid().toString(), "the MJF server knows it");

    MachineCreated created = (MachineCreated) persisted().get(0);
    assertEquals("short", created.machinetype());
    assertEquals("vm-raw", created.model());
    assertEquals(10.0, created.hs06PerProcessor());
    assertEquals(512, created.mbPerProcessor());
    assertEquals("/lhcb/Role=NULL/Capability=NULL", created.accountingFqan());
    Path dir = Path.of(created.directory());
    assertEquals("2", Files.readString(dir.resolve("machinefeatures/total_cpu")));

    awaitEvent(Released.class, Duration.ofSeconds(15));
    List<Object> order = persisted().stream().filter(e -> !(e instanceof HeartbeatSeen))
        .map(e -> (Object) e.getClass()).toList();
    assertEquals(List.<Object>of(MachineCreated.class, MachineStarted.class, MachineFinished.class, Released.class),
        order);
    MachineFinished finished = last(MachineFinished.class);
    assertEquals("wallclock limit reached", finished.reason());
    assertTrue(finished.wallSeconds() >= 1 && finished.wallSeconds() <= 4, "wall " + finished.wallSeconds());
    assertTrue(finished.cpuSeconds() > 0, "the fake hypervisor's CPU time grows with the wall clock");
    assertFalse(domainExists(), "the domain is gone");
    assertTrue(host.byOrdinal(0).isEmpty(), "the MJF server no longer answers for it");
    assertEquals(Slot.Phase.RELEASED, slot.getState().phase());
    assertEquals("Shut down", changes.get(changes.size() - 1).state(), "the factory was told");
  }

  @Test
  void shutdownMessageWrittenByTheMachineIsPersistedAndKeptAfterItEnds() throws Exception {
    MachineStatus running = create("long", 1, 3600);
    Path joboutputs = Path.of(((MachineCreated) persisted().get(0)).directory()).resolve("joboutputs");
    Files.writeString(joboutputs.resolve("shutdown_message"), "300 Nothing to do\n");
    slot.runCommand(new JoboutputWritten(running.uuid(), "shutdown_message"));
    ShutdownMessage message = last(ShutdownMessage.class);
    assertEquals(300, message.code());
    assertEquals("300 Nothing to do", message.text());

    hypervisor.destroy(machine);
    slot.runCommand(new org.vacuum.protocol.slot.SlotProtocol.DomainStopped());
    awaitEvent(Released.class, Duration.ofSeconds(5));
    assertEquals("the machine shut down", last(MachineFinished.class).reason());
    assertEquals("300 Nothing to do", slot.getState().machine().shutdownText());
  }

  @Test
  void operatorDestroyWritesTheGivenShutdownMessageOnlyIfTheMachineWroteNone() throws Exception {
    create("long", 1, 3600);
    TestProbe<StatusReply<MachineStatus>> probe = testKit.createTestProbe();
    slot.runCommand(new Destroy("kernel update", "100 Shut down by the factory", probe.getRef()));
    StatusReply<MachineStatus> reply = probe.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    assertEquals("Shut down", reply.getValue().state());
    assertEquals("kernel update", reply.getValue().finishReason());
    assertEquals("100 Shut down by the factory", reply.getValue().shutdownMessage());
    assertFalse(domainExists());
  }

  @Test
  void aDestroyMeantForAnEarlierMachineIsRefusedAndTheSlotsMachineRunsOn() throws Exception {
    MachineStatus running = create("long", 1, 3600);
    String earlier = "0b5d6e7f-1111-4222-8333-944455556666";
    var refused = slot.<StatusReply<MachineStatus>>runCommand(
        r -> new Destroy("retired by pilot queue q", "100 Retired", earlier, r));
    assertTrue(refused.hasNoEvents(), "a refusal persists nothing");
    assertTrue(refused.reply().isError());
    assertEquals("slot " + machine + " holds machine " + running.uuid() + ", not " + earlier
        + ": that machine is gone and this one is not destroyed", refused.reply().getError().getMessage());
    assertTrue(domainExists(), "the slot's machine runs on");
    assertEquals(Slot.Phase.RUNNING, slot.getState().phase());

    TestProbe<StatusReply<MachineStatus>> probe = testKit.createTestProbe();
    slot.runCommand(new Destroy("retired by pilot queue q", "100 Retired", running.uuid(), probe.getRef()));
    StatusReply<MachineStatus> reply = probe.expectMessageClass(StatusReply.class, Duration.ofSeconds(10));
    assertTrue(reply.isSuccess(), () -> String.valueOf(reply.getError()));
    assertEquals("retired by pilot queue q", reply.getValue().finishReason());
    assertEquals(running.uuid(), reply.getValue().uuid());
    assertFalse(domainExists());
  }

  @Test
  void pausedMachineIsDestroyed() throws Exception {
    create("long", 1, 3600);
    Connect c = new Connect("test:///default");
    try {
      c.domainLookupByName(machine).suspend();
    } finally {
      c.close();
    }
    awaitEvent(Released.class, Duration.ofSeconds(10));
    assertEquals("paused without shutting down", last(MachineFinished.class).reason());
    assertFalse(domainExists());
  }

  @Test
  void missingHeartbeatFileAfterFizzleSecondsDestroysWithCode700() throws Exception {
    create("beating", 1, 3600);
    awaitEvent(Released.class, Duration.ofSeconds(15));
    assertEquals("700 Heartbeat file not created", last(MachineFinished.class).reason());
    assertEquals("700 Heartbeat file not created", last(ShutdownMessage.class).text());
  }

  @Test
  void globalShutdownTimeLowersTheMachinesAndRewritesItsFeatures() throws Exception {
    create("long", 1, 3600);
    long shutdownTime = Instant.now().getEpochSecond() + 2;
    writeConf("shutdown_time = " + shutdownTime);
    awaitEvent(ShutdownTimeLowered.class, Duration.ofSeconds(5));
    assertEquals(shutdownTime, last(ShutdownTimeLowered.class).shutdownTime());
    Path dir = Path.of(((MachineCreated) persisted().get(0)).directory());
    // The features are rewritten right after the event is persisted, one file after the other.
    Instant deadline = Instant.now().plusSeconds(5);
    while ((!String.valueOf(shutdownTime).equals(Files.readString(dir.resolve("machinefeatures/shutdowntime")))
        || !String.valueOf(shutdownTime).equals(Files.readString(dir.resolve("jobfeatures/shutdowntime_job"))))
        && Instant.now().isBefore(deadline)) {
      Thread.sleep(20);
    }
    assertEquals(String.valueOf(shutdownTime), Files.readString(dir.resolve("machinefeatures/shutdowntime")));
    assertEquals(String.valueOf(shutdownTime), Files.readString(dir.resolve("jobfeatures/shutdowntime_job")));
    awaitEvent(Released.class, Duration.ofSeconds(10));
    assertEquals("wallclock limit reached", last(MachineFinished.class).reason());
  }

  @Test
  void createIsRefusedForAnUnknownMachinetypeAndWhileTheSlotIsBusy() {
    TestProbe<StatusReply<MachineStatus>> probe = testKit.createTestProbe();
    slot.runCommand(new Create("nosuch", 1, Instant.now().getEpochSecond() + 60, probe.getRef()));
    StatusReply<MachineStatus> unknown = probe.expectMessageClass(StatusReply.class);
    assertTrue(unknown.isError());
    assertTrue(unknown.getError().getMessage().contains("machinetype nosuch is not configured"),
        unknown.getError().getMessage());
    create("long", 1, 3600);
    slot.runCommand(new Create("long", 1, Instant.now().getEpochSecond() + 60, probe.getRef()));
    StatusReply<MachineStatus> busy = probe.expectMessageClass(StatusReply.class);
    assertTrue(busy.isError());
    assertTrue(busy.getError().getMessage().contains("is not free"), busy.getError().getMessage());
    assertEquals(2, persisted().size(), "a refusal persists nothing");
  }
}
