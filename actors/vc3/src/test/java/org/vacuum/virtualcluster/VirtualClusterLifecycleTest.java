package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.vacuum.virtualcluster.LifecycleFixture.LIMIT;
import static org.vacuum.virtualcluster.LifecycleFixture.json;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.batch.headnode.WorkQueueManager;
import org.vacuum.batch.submit.PilotState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.protocol.pilot.PilotQueueProtocol;
import org.vacuum.protocol.pilot.PilotQueueProtocol.Counts;
import org.vacuum.protocol.pilot.PilotQueueProtocol.GetCounts;

/**
 * The virtual-cluster lifecycle end to end at its own level ({@link LifecycleFixture}: one
 * dispatcher thread for every actor), pilots run by a stand-in submitter, head nodes started by a
 * stand-in launcher that blocks until the test releases it; a submission can be made to block too.
 * A blocking call on an actor's thread would stall every actor here.
 */
class VirtualClusterLifecycleTest {

  @TempDir static Path state;

  private static final BlockingLauncher launcher = new BlockingLauncher();
  private static StandInSubmitter submitter;
  private static LifecycleFixture fixture;

  @BeforeAll
  static void start() throws Exception {
    submitter = new StandInSubmitter(PilotState.RUNNING, state.resolve("pilots"));
    fixture = LifecycleFixture.start("VirtualClusterLifecycleTest", state, Duration.ofMillis(300), submitter,
        launcher, VirtualClusterLifecycle.EvaluationObserver.NONE);
  }

  @AfterAll
  static void stop() {
    launcher.release.countDown();
    fixture.close();
  }

  @Test
  void aClustersStatusIsFilledFromItsPilotQueuesCounts() throws Exception {
    fixture.genericCluster("gen1", "workers", 2);

    String queue = "gen1.workers.ada.here";
    JsonNode running = fixture.awaitCluster("gen1", "2 pilots running in statusinfo", c ->
        c.path("statusinfo").path("workers").path("running").asInt() == 2);
    assertEquals("running", running.path("state").asText(), running.toPrettyString());
    assertEquals(json("{\"workers\":{\"running\":2,\"idle\":0,\"error\":0,\"node_number\":2,\"requested\":2}}"),
        running.path("statusinfo"));
    assertEquals(json("{\"vacuum\":{\"workers\":{\"" + queue
        + "\":{\"aggregated\":{\"running\":2,\"idle\":0}}}}}"), running.path("statusraw"));

    // A pilot that stops running shows as idle (APF counts held pilots as pending).
    submitter.hold(queue);
    JsonNode held = fixture.awaitCluster("gen1", "1 running and 1 idle", c ->
        c.path("statusinfo").path("workers").path("idle").asInt() == 1);
    assertEquals(1, held.path("statusinfo").path("workers").path("running").asInt(), held.toPrettyString());
    assertEquals(1, held.path("statusraw").path("vacuum").path("workers").path(queue).path("aggregated")
        .path("idle").asInt(), held.toPrettyString());

    // Terminating: nothing is requested any more, and the counts follow the pilots down.
    fixture.update(InfoKind.VIRTUAL_CLUSTER, "gen1", Map.of("action", "terminate"));
    JsonNode done = fixture.awaitCluster("gen1", "terminated", c -> c.path("state").asText().equals("terminated"));
    assertEquals(json("{\"workers\":{\"running\":0,\"idle\":0,\"error\":0,\"node_number\":2,\"requested\":0}}"),
        done.path("statusinfo"), done.toPrettyString());
  }

  @Test
  void aHeadNodeStartThatBlocksStallsNothingElse() throws Exception {
    fixture.templateOf("wq1", "wq-workers", 1, "workqueue");
    fixture.create(InfoKind.VIRTUAL_CLUSTER, "wq1", Map.of("owner", "ada", "project", "p1",
        "allocations", java.util.List.of("ada.here"), "cluster", "wq1-template"));
    assertTrue(launcher.entered.await(LIMIT.toSeconds(), TimeUnit.SECONDS), "the head node's start was called");

    // While the start blocks, on the only dispatcher thread were it not moved off it: another
    // cluster goes all the way to running, its queue cycling.
    fixture.genericCluster("gen2", "other-workers", 1);
    fixture.awaitCluster("gen2", "running beside a blocked head-node start",
        c -> c.path("state").asText().equals("running"));
    assertEquals(1, launcher.calls.get(), "one start, still blocked");
    JsonNode waiting = fixture.get(InfoKind.NODESET, "headnode-for-wq1");
    assertEquals("new", waiting.path("state").asText(), "the head node waits for its start: " + waiting);
    assertEquals("initializing", fixture.get(InfoKind.VIRTUAL_CLUSTER, "wq1").path("state").asText());

    // The start's outcome comes back as a message: here a refusal, which fails the head node and
    // so the cluster.
    launcher.release.countDown();
    JsonNode failed = fixture.awaitCluster("wq1", "failure", c -> c.path("state").asText().equals("failure"));
    assertTrue(failed.path("state_reason").asText().contains("stand-in manager refused"), failed.toPrettyString());
    assertEquals(1, launcher.calls.get(), "started once");
  }

  @Test
  void aSubmitterCallThatBlocksStallsNoActor() throws Exception {
    String queue = "slow.slow-workers.ada.here";
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    submitter.blockSubmits(queue, entered, release);
    try {
      fixture.genericCluster("slow", "slow-workers", 1);
      assertTrue(entered.await(LIMIT.toSeconds(), TimeUnit.SECONDS), "the queue's submission was called");

      // While the submission blocks: the queue answers, and the cluster is evaluated with its counts.
      Counts counts = ClusterSharding.get(fixture.testKit.system())
          .entityRefFor(PilotQueueProtocol.ENTITY_KEY, queue)
          .<Counts>askWithStatus(GetCounts::new, Duration.ofSeconds(15)).toCompletableFuture()
          .get(20, TimeUnit.SECONDS);
      assertEquals(1, counts.target(), counts.toString());
      fixture.update(InfoKind.VIRTUAL_CLUSTER, "slow", Map.of("description", "waiting for a slow batch system"));
      JsonNode pending = fixture.awaitCluster("slow", "pending with its status",
          c -> c.path("state").asText().equals("pending") && c.path("statusinfo").has("slow-workers"));
      assertEquals(0, pending.path("statusinfo").path("slow-workers").path("running").asInt(), pending.toString());
    } finally {
      release.countDown();
    }
    fixture.awaitCluster("slow", "running once the submission returned",
        c -> c.path("state").asText().equals("running"));
  }

  /** A head-node launcher that blocks its thread until released, then refuses. */
  private static final class BlockingLauncher implements VirtualClusterLifecycle.ManagerLauncher {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public WorkQueueManager start(WorkQueueManager.Settings settings) throws IOException {
      calls.incrementAndGet();
      entered.countDown();
      try {
        release.await(2 * LIMIT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      throw new IOException("stand-in manager refused to start for " + settings.project());
    }
  }
}
