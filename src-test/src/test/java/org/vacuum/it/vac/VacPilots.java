package org.vacuum.it.vac;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.vacuum.allocation.AllocationKeys;
import org.vacuum.it.TestNodes;

/**
 * What the tests of pilots on a vac resource share: a factory's vac.conf whose only machinetype is
 * the pilot one ({@code target_share = 0}, user_data from a template), the VC3 objects of a cluster
 * {@code vc} whose {@code workers} nodeset runs on the space's factories, and the machines census
 * read over the admin API.
 */
final class VacPilots {

  static final String MACHINETYPE = "pilot";
  static final String QUEUE = "vc.workers.ada.space";

  private VacPilots() {}

  /** Node settings for a factory {@code name} with {@code slots} one-processor slots and quick VC3 cycles. */
  static Map<String, Object> settings(String name, Path state, int port, List<String> seeds, int slots) {
    Map<String, Object> s = TestNodes.settings(name, state, port, seeds);
    s.put("vacuum.slots", slots);
    s.put("vacuum.total-processors", slots);
    s.put("vacuum.slot.check-interval", "200ms");
    s.put("vacuum.slot.shutdown-grace", "1s");
    s.put("vacuum.vc3.tick", "1s");
    s.put("vacuum.vc3.pilot-refresh", "1s");
    return s;
  }

  /** Writes {@code state}/etc/vac.conf with the pilot machinetype only. */
  static void vacConf(Path state) throws Exception {
    Path image = state.resolve("images/root.img");
    Files.createDirectories(image.getParent());
    Files.write(image, new byte[1 << 20]);
    Path template = state.resolve("etc/pilot.user_data");
    Files.createDirectories(template.getParent());
    Files.writeString(template, """
        queue=##user_data_option_vacuum_pilot_queue##
        pilot=##user_data_option_vacuum_pilot_id##
        ##user_data_option_vacuum_pilot_script##
        """);
    Files.writeString(state.resolve("etc/vac.conf"), """
        [settings]
        vac_space = vac01.example.com
        mb_per_processor = 256

        [machinetype pilot]
        target_share = 0
        machine_model = vm-raw
        root_image = %s
        user_data = %s
        max_wallclock_seconds = 3600
        """.formatted(image, template));
  }

  /**
   * Registers user ada, the vac resource {@code space}, its allocation, a project, a generic
   * environment and a nodeset of {@code workers} (killorder newest), then requests cluster {@code vc}.
   */
  static void requestCluster(String api, int workers) throws Exception {
    TestNodes.sendJson(api + "users", "POST", Map.of("name", "ada",
        "sshpubstring", AllocationKeys.generate("ada").publicKeyLine()), 201);
    TestNodes.sendJson(api + "resources", "POST", Map.of("name", "space", "accesstype", "cloud",
        "accessmethod", "local", "accessflavor", "vac", "cloudinstancetype", MACHINETYPE), 201);
    TestNodes.sendJson(api + "allocations", "POST", Map.of("name", "ada.space", "resource", "space",
        "accountname", "ada"), 201);
    TestNodes.sendJson(api + "projects", "POST", Map.of("name", "p1", "owner", "ada", "members", List.of("ada"),
        "allocations", List.of("ada.space")), 201);
    TestNodes.sendJson(api + "environments", "POST", Map.of("name", "hello", "command", "echo hello"), 201);
    TestNodes.sendJson(api + "nodesets", "POST", Map.of("name", "workers", "node_number", workers,
        "app_type", "generic", "app_role", "worker-nodes", "environment", "hello", "app_killorder", "newest"), 201);
    TestNodes.sendJson(api + "templates", "POST", Map.of("name", "t1", "nodesets", List.of("workers")), 201);
    TestNodes.sendJson(api + "clusters", "POST", Map.of("name", "vc", "owner", "ada", "project", "p1",
        "allocations", List.of("ada.space"), "cluster", "t1"), 201);
  }

  /** The space's machines of the pilot machinetype in Vac state {@code state}, in machine order. */
  static List<JsonNode> machines(String api, String state) {
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode m : TestNodes.getJson(api + "machines").path("machines")) {
      if (MACHINETYPE.equals(m.path("machinetype").asText()) && state.equals(m.path("state").asText())) found.add(m);
    }
    return found;
  }

  /** The pilot machines that hold their slot (Starting, Running or Paused), in machine order. */
  static List<JsonNode> occupied(String api) {
    List<JsonNode> found = new ArrayList<>();
    for (JsonNode m : TestNodes.getJson(api + "machines").path("machines")) {
      if (MACHINETYPE.equals(m.path("machinetype").asText()) && !"Shut down".equals(m.path("state").asText())) {
        found.add(m);
      }
    }
    return found;
  }
}
