package org.vacuum.it.vac;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.vacuum.batch.ssh.SshKeys;
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
    Map<String, Object> s = TestNodes.factorySettings(name, state, port, seeds, slots);
    s.put("vacuum.vc3.tick", "1s");
    s.put("vacuum.vc3.pilot-refresh", "1s");
    return s;
  }

  /**
   * Writes {@code state}/etc/vac.conf with the pilot machinetype only; its user_data template
   * carries the pilot's queue, id and script, and a site's own option ({@code site-option=from the
   * machinetype}).
   */
  static void vacConf(Path state) throws Exception {
    Path template = state.resolve("etc/pilot.user_data");
    TestNodes.writeVacConf(state, """
        [settings]
        vac_space = vac01.example.com
        mb_per_processor = 256

        [machinetype pilot]
        target_share = 0
        machine_model = vm-raw
        root_image = ROOT_IMAGE
        user_data = %s
        user_data_option_site_note = from the machinetype
        max_wallclock_seconds = 3600
        """.formatted(template));
    Files.writeString(template, """
        queue=##user_data_option_vacuum_pilot_queue##
        pilot=##user_data_option_vacuum_pilot_id##
        site-option=##user_data_option_site_note##
        ##user_data_option_vacuum_pilot_script##
        """);
  }

  /**
   * Registers user ada, the vac resource {@code space}, its allocation, a project, a generic
   * environment running {@code echo hello} and a nodeset of {@code workers} (killorder newest), then
   * requests cluster {@code vc}.
   */
  static void requestCluster(String api, int workers) throws Exception {
    requestCluster(api, workers, Map.of("command", "echo hello"));
  }

  /** {@link #requestCluster(String, int)} with environment {@code hello} of these fields (command, envmap...). */
  static void requestCluster(String api, int workers, Map<String, ?> environment) throws Exception {
    Map<String, Object> hello = new LinkedHashMap<>(Map.of("name", "hello"));
    hello.putAll(environment);
    TestNodes.sendJson(api + "users", "POST", Map.of("name", "ada",
        "sshpubstring", SshKeys.generate("ada").publicKeyLine()), 201);
    TestNodes.sendJson(api + "resources", "POST", Map.of("name", "space", "accesstype", "cloud",
        "accessmethod", "local", "accessflavor", "vac", "cloudinstancetype", MACHINETYPE), 201);
    TestNodes.sendJson(api + "allocations", "POST", Map.of("name", "ada.space", "resource", "space",
        "accountname", "ada"), 201);
    TestNodes.sendJson(api + "projects", "POST", Map.of("name", "p1", "owner", "ada", "members", List.of("ada"),
        "allocations", List.of("ada.space")), 201);
    TestNodes.sendJson(api + "environments", "POST", hello, 201);
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
