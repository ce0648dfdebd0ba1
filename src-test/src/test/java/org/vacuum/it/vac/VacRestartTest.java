package org.vacuum.it.vac;

import org.vacuum.protocol.pilot.PilotQueueProtocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;
import org.vacuum.pilot.PilotQueue;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Counts;
import org.vacuum.protocol.pilot.PilotQueueProtocol.GetCounts;

/**
 * The control node of a cluster on a vac resource restarts (one node, factory and control): the
 * factory adopts the running pilot machines (same uuid, same domain), the pilot queue finds them
 * again through its journal, replaces only the one that died while the node was down, and a later
 * resize retires the newest pilot, which is the replacement even though its slot sorts first.
 */
class VacRestartTest {

  private static final String A = "vrs1-00.example.com";
  private static final String B = "vrs1-01.example.com";
  private static final String C = "vrs1-02.example.com";

  @TempDir Path dir;

  @Test
  void afterARestartTheQueueRecallsItsPilotMachinesReplacesOnlyTheDeadOneAndRetiresTheNewest() throws Exception {
    Path state = dir.resolve("state");
    VacPilots.vacConf(state);
    Map<String, Object> settings = VacPilots.settings("vrs1", state, TestNodes.freePort(), List.of(), 6);
    Map<String, String> uuids = new LinkedHashMap<>();
    Map<String, Integer> domainIds = new LinkedHashMap<>();
    try {
      try (VacuumNode node = TestNodes.start(settings)) {
        String api = api(node);
        VacPilots.requestCluster(api, 3);
        TestNodes.await(Duration.ofSeconds(60), "3 Running pilot machines",
            () -> VacPilots.machines(api, "Running").size() == 3);
        TestNodes.await(Duration.ofSeconds(30), "the queue counts 3 running pilots",
            () -> counts(node).running() == 3);
        for (JsonNode m : VacPilots.occupied(api)) {
          uuids.put(m.path("machine").asText(), m.path("uuid").asText());
          domainIds.put(m.path("machine").asText(), TestNodes.domainId(m.path("machine").asText()));
        }
        assertEquals(List.of(A, B, C), List.copyOf(uuids.keySet()));
      }
      // While vacuum is down, the pilot in slot 01 dies with its VM.
      TestNodes.destroyDomain(B);

      try (VacuumNode node = TestNodes.start(settings)) {
        String api = api(node);
        for (String machine : List.of(A, C)) {
          JsonNode m = TestNodes.getJson(api + "machines/" + machine);
          assertEquals("Running", m.path("state").asText(), m.toPrettyString());
          assertEquals(uuids.get(machine), m.path("uuid").asText(), "adopted with its uuid");
          assertEquals(domainIds.get(machine), TestNodes.domainId(machine), "the domain of " + machine + " was not restarted");
        }
        // The queue's first cycles after the restart: B is done, one replacement, never duplicates.
        TestNodes.await(Duration.ofSeconds(60), "the queue counts 3 running pilots and the dead one done",
            () -> counts(node).running() == 3 && counts(node).done() == 1);
        List<JsonNode> pilots = VacPilots.occupied(api);
        assertEquals(List.of(A, B, C), pilots.stream().map(m -> m.path("machine").asText()).toList(),
            "the 2 adopted pilots and 1 replacement in the freed slot, no duplicates: " + pilots);
        String replacement = pilots.get(1).path("uuid").asText();
        assertTrue(!replacement.equals(uuids.get(B)), "slot 01 holds a new machine");
        assertEquals(uuids.get(A), pilots.get(0).path("uuid").asText());
        assertEquals(uuids.get(C), pilots.get(2).path("uuid").asText());

        TestNodes.sendJson(api + "nodesets/workers", "PATCH", Map.of("node_number", 2), 200);
        TestNodes.await(Duration.ofSeconds(60), "2 pilot machines left",
            () -> VacPilots.occupied(api).size() == 2);
        assertEquals(Map.of(A, uuids.get(A), C, uuids.get(C)), byMachine(VacPilots.occupied(api)),
            "killorder newest retired the replacement, the newest pilot, not the highest slot");
        JsonNode retired = TestNodes.getJson(api + "machines/" + B);
        assertEquals(replacement, retired.path("uuid").asText(), retired.toPrettyString());
        assertEquals("retired by pilot queue " + VacPilots.QUEUE, retired.path("finish_reason").asText());
        TestNodes.await(Duration.ofSeconds(30), "the queue counts 2 running pilots",
            () -> counts(node).running() == 2);
        assertEquals(2, VacPilots.occupied(api).size(), "no pilot was submitted again after the resize");
      }
    } finally {
      for (String machine : List.of(A, B, C)) TestNodes.destroyDomain(machine);
    }
  }

  private static String api(VacuumNode node) {
    return "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
  }

  private static Counts counts(VacuumNode node) {
    try {
      return ClusterSharding.get(node.system()).entityRefFor(PilotQueueProtocol.ENTITY_KEY, VacPilots.QUEUE)
          .<Counts>askWithStatus(GetCounts::new, Duration.ofSeconds(5)).toCompletableFuture().get();
    } catch (ExecutionException e) {
      throw new AssertionError("pilot queue " + VacPilots.QUEUE + " did not give its counts: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  private static Map<String, String> byMachine(List<JsonNode> machines) {
    Map<String, String> uuids = new LinkedHashMap<>();
    machines.forEach(m -> uuids.put(m.path("machine").asText(), m.path("uuid").asText()));
    return uuids;
  }
}
