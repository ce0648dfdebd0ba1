package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.infoservice.InfoKind;

/**
 * The lifecycle evaluates a cluster when something it reads changed, not because of its own
 * writes: neither the state and status it writes into the cluster nor another cluster's head-node
 * record brings a cluster round again. Counted with an observer of evaluations; the tick is an
 * hour, so every evaluation here is one a change asked for.
 */
class VirtualClusterReevaluationTest {

  @TempDir Path state;

  private final Map<String, AtomicInteger> evaluations = new ConcurrentHashMap<>();
  private LifecycleFixture fixture;

  @AfterEach
  void stop() {
    if (fixture != null) fixture.close();
  }

  @Test
  void aClusterIsEvaluatedOncePerOutsideChangeAndNeverForItsOwnWrites() throws Exception {
    // Pilots stay idle (queued in the batch system): the clusters stay pending.
    fixture = LifecycleFixture.start("VirtualClusterReevaluationTest", state, Duration.ofHours(1),
        new StandInSubmitter(PilotState.IDLE, state.resolve("pilots")), settings -> {
          throw new AssertionError("no head node to start for generic clusters");
        }, cluster -> evaluations.computeIfAbsent(cluster, c -> new AtomicInteger()).incrementAndGet());

    fixture.genericCluster("quiet", "quiet-workers", 1);
    fixture.awaitCluster("quiet", "pending", c -> c.path("state").asText().equals("pending"));
    fixture.templateOf("busy", "busy-workers", 1, "generic");
    int settled = settled("quiet");

    // Another cluster's whole start, head-node record written at each step: nothing here.
    fixture.create(InfoKind.VIRTUAL_CLUSTER, "busy", Map.of("owner", "ada", "project", "p1",
        "allocations", java.util.List.of("ada.here"), "cluster", "busy-template"));
    fixture.awaitCluster("busy", "pending", c -> c.path("state").asText().equals("pending"));
    LifecycleFixture.await("busy's head node running",
        () -> headNodeState("busy").equals("running"), () -> headNodeState("busy"));
    settled("busy");
    assertEquals(settled, count("quiet"), "another cluster's head-node records re-evaluated this one");

    // A user's change of the nodeset: one evaluation, which writes a new statusinfo and stops there.
    fixture.update(InfoKind.NODESET, "quiet-workers", Map.of("node_number", 2));
    JsonNode grown = fixture.awaitCluster("quiet", "2 nodes requested",
        c -> c.path("statusinfo").path("quiet-workers").path("requested").asInt() == 2);
    assertEquals(settled + 1, settled("quiet"), "evaluations after one outside change: " + grown);

    // A user's change of the cluster itself: one evaluation, writing the second idle pilot.
    fixture.update(InfoKind.VIRTUAL_CLUSTER, "quiet", Map.of("description", "two nodes"));
    JsonNode idle = fixture.awaitCluster("quiet", "2 idle pilots",
        c -> c.path("statusinfo").path("quiet-workers").path("idle").asInt() == 2);
    assertEquals("pending", idle.path("state").asText(), idle.toPrettyString());
    assertEquals(settled + 2, settled("quiet"), "evaluations after a second outside change: " + idle);
  }

  private int count(String cluster) {
    return evaluations.getOrDefault(cluster, new AtomicInteger()).get();
  }

  /** The cluster's evaluation count once it has not moved for a second (an evaluation takes milliseconds). */
  private int settled(String cluster) throws InterruptedException {
    int[] last = {-1};
    long[] since = {System.nanoTime()};
    LifecycleFixture.await(cluster + "'s evaluations settle", () -> {
      int now = count(cluster);
      if (now != last[0]) {
        last[0] = now;
        since[0] = System.nanoTime();
        return false;
      }
      return System.nanoTime() - since[0] > Duration.ofSeconds(1).toNanos();
    }, () -> cluster + ": " + count(cluster) + " evaluations");
    return last[0];
  }

  private String headNodeState(String cluster) {
    try {
      return fixture.get(InfoKind.NODESET, "headnode-for-" + cluster).path("state").asText();
    } catch (Exception e) {
      return "(none: " + e.getMessage() + ")";
    }
  }
}
