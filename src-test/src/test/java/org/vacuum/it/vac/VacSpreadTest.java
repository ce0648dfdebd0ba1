package org.vacuum.it.vac;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;

/**
 * A virtual cluster on the vac resource of a space of three factories (three nodes in one JVM):
 * its 6 pilots are spread 2/2/2 over the factories, each going to the factory with the fewest
 * machines of the pilot machinetype, as the machines census shows from any node; resizing to 3
 * (killorder newest) retires the last round, one per factory.
 */
class VacSpreadTest {

  private static final List<String> FACTORIES = List.of("vsp1.example.com", "vsp2.example.com", "vsp3.example.com");

  @TempDir Path dir;

  @Test
  void sixPilotsOnThreeFactoriesAreSpreadTwoTwoTwoAndAResizeRetiresOnePerFactory() throws Exception {
    int seedPort = TestNodes.freePort();
    List<String> seeds = List.of("127.0.0.1:" + seedPort);
    List<VacuumNode> nodes = new ArrayList<>();
    try {
      for (int i = 1; i <= 3; i++) {
        Path state = dir.resolve("vsp" + i);
        VacPilots.vacConf(state);
        nodes.add(TestNodes.start(VacPilots.settings("vsp" + i, state, i == 1 ? seedPort : TestNodes.freePort(),
            seeds, 4)));
      }
      String api = "http://127.0.0.1:" + nodes.get(0).adminPort() + "/api/v1/";
      TestNodes.await(Duration.ofSeconds(30), "the census finds the 3 factories",
          () -> factories(TestNodes.getJson(api + "factories")).equals(FACTORIES));

      VacPilots.requestCluster(api, 6);
      TestNodes.await(Duration.ofSeconds(90), "6 Running pilot machines",
          () -> VacPilots.machines(api, "Running").size() == 6);
      TestNodes.awaitState(api + "clusters/vc", "running", Duration.ofSeconds(30));
      for (VacuumNode node : nodes) {
        String from = "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
        assertEquals(Map.of("vsp1.example.com", 2, "vsp2.example.com", 2, "vsp3.example.com", 2),
            perFactory(VacPilots.occupied(from)), "pilot machines per factory, seen from " + node.settings().factoryName());
      }

      TestNodes.sendJson(api + "nodesets/workers", "PATCH", Map.of("node_number", 3), 200);
      TestNodes.await(Duration.ofSeconds(60), "3 pilot machines left",
          () -> VacPilots.occupied(api).size() == 3);
      assertEquals(Map.of("vsp1.example.com", 1, "vsp2.example.com", 1, "vsp3.example.com", 1),
          perFactory(VacPilots.occupied(api)), "the newest round, one per factory, was retired");
    } finally {
      // One after another (DESIGN §9), the seed last.
      for (int i = nodes.size() - 1; i >= 0; i--) nodes.get(i).close();
    }
  }

  private static List<String> factories(JsonNode census) {
    List<String> names = new ArrayList<>();
    census.path("factories").forEach(f -> names.add(f.path("factory").asText()));
    return names;
  }

  private static Map<String, Integer> perFactory(List<JsonNode> machines) {
    Map<String, Integer> count = new TreeMap<>();
    for (JsonNode m : machines) count.merge(m.path("factory").asText(), 1, Integer::sum);
    return count;
  }
}
