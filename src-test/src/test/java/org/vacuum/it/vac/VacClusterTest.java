package org.vacuum.it.vac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;

/**
 * A virtual cluster whose workers are machines of this space's factory ({@code accessflavor vac},
 * {@code cloudinstancetype pilot}) on libvirt's fake hypervisor: the cluster's 3 {@code generic}
 * pilots become 3 Running machines of the pilot machinetype (which has {@code target_share = 0},
 * so the factory never starts one by itself), each with the pilot's queue, name and script in its
 * user_data; the cluster is {@code running} with all 3 requested workers counted running by its
 * pilot queue, as far as machines go (nothing runs inside a fake domain); resizing to 1 destroys the 2 newest machines with a reason naming
 * the pilot queue; terminating leaves no pilot machine.
 */
class VacClusterTest {

  private static final String COMMAND = "echo hello from a vac pilot";
  private static final String RUNNING_REASON = "All requested compute workers are running.";

  @TempDir Path dir;

  @Test
  void aClusterOnAVacResourceRunsItsPilotsAsMachinesResizesAndTerminates() throws Exception {
    Path state = dir.resolve("state");
    VacPilots.vacConf(state);
    try (VacuumNode node = TestNodes.start(VacPilots.settings("vs1", state, TestNodes.freePort(), List.of(), 4))) {
      String api = "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
      VacPilots.requestCluster(api, 3, Map.of("command", COMMAND, "envmap", Map.of("GREETING", "hi")));

      TestNodes.await(Duration.ofSeconds(60), "3 Running pilot machines",
          () -> VacPilots.machines(api, "Running").size() == 3);
      TestNodes.awaitState(api + "clusters/vc", "running", Duration.ofSeconds(30));
      // From the pilot queue's counts: 3 requested, 3 running (machines Running, no worker inside them).
      TestNodes.await(Duration.ofSeconds(30), "the cluster counts its 3 requested workers running",
          () -> RUNNING_REASON.equals(TestNodes.getJson(api + "clusters/vc").path("state_reason").asText()));
      List<JsonNode> pilots = VacPilots.machines(api, "Running");
      assertEquals(List.of("vs1-00.example.com", "vs1-01.example.com", "vs1-02.example.com"),
          pilots.stream().map(m -> m.path("machine").asText()).toList());
      for (JsonNode m : pilots) {
        String userData = Files.readString(machineDir(state, m.path("machine").asText()).resolve("user_data"));
        String id = m.path("machine").asText() + "_" + m.path("uuid").asText();
        assertTrue(userData.contains("queue=" + VacPilots.QUEUE + "\n"), userData);
        assertTrue(userData.contains("pilot=" + id + "\n"), userData);
        assertTrue(userData.contains("site-option=from the machinetype\n"), userData);
        assertTrue(userData.contains("export VACUUM_PILOT_ID='" + id + "'\n"), userData);
        assertTrue(userData.contains("export VC3_QUEUE='" + VacPilots.QUEUE + "'\n"), userData);
        assertTrue(userData.contains("export GREETING='hi'\n"), userData);
        assertTrue(staged(userData, "vacuum-pilot.sh").contains(COMMAND), userData);
      }

      TestNodes.sendJson(api + "nodesets/workers", "PATCH", Map.of("node_number", 1), 200);
      TestNodes.await(Duration.ofSeconds(60), "2 pilot machines destroyed, 1 left",
          () -> VacPilots.machines(api, "Running").size() == 1 && destroyed(api).size() == 2);
      assertEquals("vs1-00.example.com", VacPilots.machines(api, "Running").get(0).path("machine").asText(),
          "killorder newest keeps the oldest pilot");
      for (JsonNode m : destroyed(api)) {
        assertEquals("retired by pilot queue " + VacPilots.QUEUE, m.path("finish_reason").asText(), m.toPrettyString());
      }

      TestNodes.sendJson(api + "clusters/vc", "PATCH", Map.of("action", "terminate"), 200);
      TestNodes.awaitState(api + "clusters/vc", "terminated", Duration.ofSeconds(60));
      TestNodes.await(Duration.ofSeconds(30), "no pilot machine left",
          () -> VacPilots.machines(api, "Running").isEmpty() && VacPilots.machines(api, "Starting").isEmpty()
              && VacPilots.machines(api, "Paused").isEmpty());
      assertEquals(3, destroyed(api).size(), "every pilot machine was retired by its queue");
    }
  }

  private static List<JsonNode> destroyed(String api) {
    return VacPilots.machines(api, "Shut down").stream()
        .filter(m -> m.path("finish_reason").asText().startsWith("retired by pilot queue"))
        .toList();
  }

  /** The directory of the machine now in slot {@code machine}: the newest {@code <created>_pilot_<machine>}. */
  private static Path machineDir(Path state, String machine) throws Exception {
    try (Stream<Path> dirs = Files.list(state.resolve("machines"))) {
      return dirs.filter(d -> d.getFileName().toString().endsWith("_pilot_" + machine))
          .max(Path::compareTo)
          .orElseThrow(() -> new AssertionError("no directory of machine " + machine));
    }
  }

  /** A file the pilot script stages, decoded from its here-document. */
  private static String staged(String userData, String name) {
    Matcher m = Pattern.compile("base64 -d > '" + Pattern.quote(name) + "' <<'VACUUM_PILOT_FILE' \\|\\| exit 1\n"
        + "(.*?)VACUUM_PILOT_FILE\n", Pattern.DOTALL).matcher(userData);
    assertTrue(m.find(), "the script stages " + name + ": " + userData);
    return new String(Base64.getMimeDecoder().decode(m.group(1)), StandardCharsets.UTF_8);
  }
}
