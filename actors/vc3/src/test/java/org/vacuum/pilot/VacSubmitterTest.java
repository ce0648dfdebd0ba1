package org.vacuum.pilot;

import org.vacuum.batch.submit.PilotBootstrap;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.pattern.StatusReply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.protocol.factory.FactoryProtocol.CreateMachine;
import org.vacuum.protocol.pilot.PilotQueueProtocol.SubmitterConfig;
import org.vacuum.protocol.slot.MachineStatus;
import org.vacuum.protocol.slot.SlotProtocol.Create;

class VacSubmitterTest {

  private static final String QUEUE = "c1.workers.ada.vac";
  private static final Instant SUBMITTED = Instant.parse("2026-01-02T03:04:05Z");

  private static final ActorTestKit testKit = ActorTestKit.create();

  @TempDir Path root;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void theMessagesThatCarryAPilotIntoAMachineSerializeWithAndWithoutOptions() {
    SerializationTestKit serialization = new SerializationTestKit(testKit.system());
    TestProbe<StatusReply<MachineStatus>> probe = testKit.createTestProbe();
    Map<String, String> options = Map.of(VacSubmitter.OPTION_QUEUE, QUEUE);
    serialization.verifySerialization(new CreateMachine("pilot", options, probe.getRef()), true);
    serialization.verifySerialization(new CreateMachine("pilot", probe.getRef()), true);
    serialization.verifySerialization(new Create("pilot", 1, 42L, options, probe.getRef()), true);
    serialization.verifySerialization(SubmitterConfig.vac("pilot"), true);
    serialization.verifySerialization(new SubmitterConfig("fork", "h", 22, "u", "key", "/s"), true);
    assertTrue(!new CreateMachine("pilot", Map.of("secret", "pw"), probe.getRef()).toString().contains("pw"),
        "option values stay out of logs");
  }

  @Test
  void vacMachineStatesMapToApfBatchStates() {
    assertEquals(PilotState.IDLE, VacSubmitter.state(MachineStatus.STARTING));
    assertEquals(PilotState.RUNNING, VacSubmitter.state(MachineStatus.RUNNING));
    assertEquals(PilotState.HELD, VacSubmitter.state(MachineStatus.PAUSED));
    assertEquals(PilotState.DONE, VacSubmitter.state(MachineStatus.SHUT_DOWN));
    // Unknown and Zombie exist in Vac but are never sent; unknown counts as pending, never over-submitting.
    assertEquals(PilotState.IDLE, VacSubmitter.state("Unknown"));
    assertEquals(PilotState.IDLE, VacSubmitter.state(null));
  }

  @Test
  void aShutDownMachineIsDoneWithItsFinishReasonOrRetiredAndAPausedOneIsHeld() {
    MachineStatus finished = machine(MachineStatus.SHUT_DOWN, "wallclock limit reached", "300 Nothing to do");
    assertEquals(new PilotInfo(PilotState.DONE, SUBMITTED, Optional.empty(), Optional.of("wallclock limit reached")),
        VacSubmitter.info(finished, SUBMITTED, false));
    assertEquals(Optional.of("300 Nothing to do"),
        VacSubmitter.info(machine(MachineStatus.SHUT_DOWN, null, "300 Nothing to do"), SUBMITTED, false).reason());
    assertEquals(Optional.of("retired"), VacSubmitter.info(finished, SUBMITTED, true).reason());
    PilotInfo paused = VacSubmitter.info(machine(MachineStatus.PAUSED, null, null), SUBMITTED, false);
    assertEquals(PilotState.HELD, paused.state());
    assertEquals(Optional.of("machine f1-03.example.com is paused"), paused.reason());
    assertEquals(PilotInfo.running(SUBMITTED), VacSubmitter.info(machine(MachineStatus.RUNNING, null, null), SUBMITTED,
        false));
  }

  @Test
  void pilotsSpreadToTheFactoryWithFewestMachinesOfTheTypeThatHasFreeProcessors() {
    Map<String, Integer> free = Map.of("f1.example.com", 4, "f2.example.com", 0, "f3.example.com", 2);
    assertEquals(Optional.of("f3.example.com"),
        VacSubmitter.chooseFactory(free, Map.of("f1.example.com", 2, "f3.example.com", 1)));
    assertEquals(Optional.of("f1.example.com"), VacSubmitter.chooseFactory(free, Map.of()),
        "a tie goes by name; a factory without free processors is never chosen");
    assertEquals(Optional.empty(), VacSubmitter.chooseFactory(Map.of("f2.example.com", 0), Map.of()));
  }

  @Test
  void thePilotScriptStagesTheFilesSetsTheEnvironmentAndRunsTheCommand() throws Exception {
    PilotSpec spec = PilotBootstrap.build(QUEUE, root, List.of(new PilotBootstrap.Environment("greeter",
            Map.of("GREETING", "it's me"), Map.of("conf/app.txt", "staged\n".getBytes(StandardCharsets.UTF_8)),
            List.of(), Optional.empty(), List.of(),
            Optional.of("cat conf/app.txt > out; echo \"$GREETING $VC3_QUEUE $VACUUM_PILOT_ID\" >> out"))),
        new PilotBootstrap.Generic());
    Map<String, String> options = VacSubmitter.userDataOptions(spec);
    assertEquals(QUEUE, options.get(VacSubmitter.OPTION_QUEUE));
    assertEquals("##user_data_machine_hostname##_##user_data_uuid##", options.get(VacSubmitter.OPTION_ID));
    // As the factory fills it into user_data.
    String script = options.get(VacSubmitter.OPTION_SCRIPT)
        .replace("##user_data_machine_hostname##", "f1-03.example.com")
        .replace("##user_data_uuid##", "0b5d3c1e-1111-4222-8333-444455556666");
    assertTrue(script.startsWith("#!/bin/sh\n"), script);

    Process sh = new ProcessBuilder("/bin/sh", "-c", script).redirectErrorStream(true).start();
    assertTrue(sh.waitFor(30, TimeUnit.SECONDS), "the script ends");
    String output = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, sh.exitValue(), output);
    Path sandbox = root.resolve(QUEUE);
    assertEquals("staged\nit's me " + QUEUE + " f1-03.example.com_0b5d3c1e-1111-4222-8333-444455556666\n",
        Files.readString(sandbox.resolve("out")));
    assertTrue(Files.isRegularFile(sandbox.resolve(PilotBootstrap.SCRIPT)));
  }

  @Test
  void aPilotIsNamedByItsMachineAndUuid() {
    String name = VacSubmitter.pilotName("f1-03.example.com", "0b5d3c1e-1111-4222-8333-444455556666");
    assertEquals("f1-03.example.com_0b5d3c1e-1111-4222-8333-444455556666", new PilotId(QUEUE, name).name());
  }

  private static MachineStatus machine(String state, String finishReason, String shutdownMessage) {
    return new MachineStatus(null, null, null, null, "f1.example.com", null, 0, 0, "f1-03.example.com", state, "vm-raw",
        "0b5d3c1e-1111-4222-8333-444455556666", SUBMITTED.getEpochSecond(), null, null, 1, 0, 0, 0, "pilot",
        shutdownMessage, null, null, finishReason);
  }
}
