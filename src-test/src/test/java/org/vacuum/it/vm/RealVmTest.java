package org.vacuum.it.vm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;

/**
 * A real machine, end to end: a tiny Linux (Debian kernel + busybox initramfs on a bootable raw
 * disk) is the {@code root_image} of a {@code vm-raw} machinetype; vacuum creates it as a qcow2
 * overlay and boots it with QEMU (TCG) through libvirt. Inside, the machine reads {@code
 * wall_limit_secs} from vacuum's MJF server and PUTs {@code shutdown_message = 200 Success}, then
 * powers off; the slot finishes with that message.
 *
 * <p>The machine uses QEMU user networking, so it reaches the host as 10.0.2.2 and the host sees it
 * as 127.0.0.1: with the address prefix {@code 127.0.0.} that is slot 1, so slot 0 first gets a
 * machine that only idles (a blank disk: no boot, no network).
 */
class RealVmTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aRealMachineReadsItsWallLimitFromMjfAndFinishesWithItsShutdownMessage() throws Exception {
    Optional<String> skip = TinyVm.skipReason();
    if (skip.isPresent()) {
      System.out.println("RealVmTest skipped: " + skip.get());
      Assumptions.abort(skip.get());
    }
    int mjfPort = TestNodes.freePort();
    Path image = TinyVm.buildImage(dir.resolve("image"), "http://" + TinyVm.HOST_FROM_GUEST + ":" + mjfPort);
    Path blank = dir.resolve("blank.img");
    Files.write(blank, new byte[1 << 20]);
    Path state = dir.resolve("state");
    Files.createDirectories(state.resolve("etc"));
    Files.writeString(state.resolve("etc/vac.conf"), """
        [settings]
        vac_space = vac01.example.com
        mb_per_processor = 128

        [machinetype idle]
        machine_model = vm-raw
        root_image = %s
        max_wallclock_seconds = 600

        [machinetype tiny]
        machine_model = vm-raw
        root_image = %s
        max_wallclock_seconds = 3600
        """.formatted(blank, image));

    Map<String, Object> s = TestNodes.settings("vm1", state, TestNodes.freePort(), List.of());
    s.put("vacuum.slots", 2);
    s.put("vacuum.total-processors", 2);
    s.put("vacuum.hypervisor.uri", TinyVm.libvirtUri());
    s.put("vacuum.hypervisor.network", "user");
    // KVM may exist and still fail (nested virtualisation): the test boots under TCG, as DESIGN §9 plans.
    s.put("vacuum.hypervisor.kvm", false);
    s.put("vacuum.mjf.binds", List.of("127.0.0.1:" + mjfPort));
    s.put("vacuum.slot.check-interval", "1s");
    s.put("vacuum.slot.shutdown-grace", "2s");

    try (VacuumNode node = TestNodes.start(s)) {
      assertEquals("vm1-00.example.com", create(node, "idle").path("machine").asText());
      JsonNode tiny = create(node, "tiny");
      assertEquals("vm1-01.example.com", tiny.path("machine").asText());
      assertEquals("Running", tiny.path("state").asText());
      Path console = Files.list(state.resolve("machines"))
          .filter(p -> p.getFileName().toString().endsWith("_tiny_vm1-01.example.com"))
          .findFirst().orElseThrow().resolve("console.log");

      Instant deadline = Instant.now().plus(Duration.ofMinutes(3));
      JsonNode slot = machine(node, "vm1-01.example.com");
      while (!"Shut down".equals(slot.path("state").asText())) {
        if (Instant.now().isAfter(deadline)) {
          throw new AssertionError("the machine did not finish within 3 minutes; slot " + slot
              + "\nconsole:\n" + TinyVm.consoleTail(console, 40));
        }
        Thread.sleep(250);
        slot = machine(node, "vm1-01.example.com");
      }
      assertEquals("200 Success", slot.path("shutdown_message").asText(),
          slot.toPrettyString() + "\nconsole:\n" + TinyVm.consoleTail(console, 40));
      assertEquals("the machine shut down", slot.path("finish_reason").asText());
      assertEquals(tiny.path("uuid").asText(), slot.path("uuid").asText());
      assertTrue(Files.readString(console).contains("wall_limit_secs=" + wallLimit(state)),
          "the machine read its wall limit from the MJF server:\n" + TinyVm.consoleTail(console, 40));

      HttpClient.newHttpClient().send(HttpRequest.newBuilder(
              URI.create("http://127.0.0.1:" + node.adminPort() + "/api/v1/machines/vm1-00.example.com"))
          .DELETE().build(), HttpResponse.BodyHandlers.ofString());
    }
  }

  /** The wall limit vacuum wrote for the tiny machine (3600 s less the seconds creation took). */
  private static String wallLimit(Path state) throws IOException {
    try (var dirs = Files.list(state.resolve("machines"))) {
      Path d = dirs.filter(p -> p.getFileName().toString().endsWith("_tiny_vm1-01.example.com")).findFirst()
          .orElseThrow();
      return Files.readString(d.resolve("jobfeatures/wall_limit_secs")).strip();
    }
  }

  private static JsonNode create(VacuumNode node, String machinetype) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.adminPort() + "/api/v1/factories/vm1.example.com/machines"))
        .POST(HttpRequest.BodyPublishers.ofString("{\"machinetype\": \"" + machinetype + "\"}")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(201, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

  private static JsonNode machine(VacuumNode node, String machine) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + node.adminPort() + "/api/v1/machines/" + machine)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, r.statusCode(), r.body());
    return JSON.readTree(r.body());
  }

}
