package org.vacuum.virtualcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.batch.submit.PilotId;
import org.vacuum.batch.submit.PilotInfo;
import org.vacuum.batch.submit.PilotSpec;
import org.vacuum.batch.submit.PilotState;
import org.vacuum.batch.submit.Submitter;
import org.vacuum.infoservice.InfoEntities;
import org.vacuum.infoservice.InfoEntity;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.pilot.PilotQueue;
import org.vacuum.pilot.SubmitterLookup;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;
import org.vacuum.protocol.pilot.PilotQueueProtocol.SubmitterConfig;

/**
 * The virtual-cluster lifecycle with its real neighbours (information entities, pilot queues,
 * sharding and an in-memory journal on a one-node cluster), pilots run by a stand-in submitter and
 * head nodes started by a stand-in launcher.
 *
 * <p>Every actor shares one dispatcher thread here, so a head-node start or a submitter call made on
 * an actor's thread would stall every other cluster and the information entities with it.
 */
class VirtualClusterLifecycleTest {

  private static final Duration LIMIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.roles = [control]
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      pekko.actor.default-dispatcher.fork-join-executor {
        parallelism-min = 1
        parallelism-factor = 1.0
        parallelism-max = 1
      }
      """).withFallback(PersistenceTestKitPlugin.getInstance().config()).withFallback(ConfigFactory.load());

  private static ActorTestKit testKit;
  private static InfoEntities info;
  private static Path stateDir;
  private static final StandInSubmitter submitter = new StandInSubmitter();
  private static final BlockingLauncher launcher = new BlockingLauncher();

  @BeforeAll
  static void start() throws Exception {
    testKit = ActorTestKit.create("VirtualClusterLifecycleTest", CONFIG);
    ActorSystem<Void> system = testKit.system();
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await("the one-node cluster is up", () -> cluster.selfMember().status() == MemberStatus.up(),
        () -> cluster.selfMember().toString());
    stateDir = Files.createTempDirectory("vc-lifecycle");
    InfoEntity.init(system);
    PilotQueue.init(system, Duration.ofMillis(300), submitter);
    info = InfoEntities.get(system);
    testKit.spawn(VirtualClusterLifecycle.create(stateDir, Duration.ofMillis(300), launcher), "lifecycle");

    create(InfoKind.USER, "ada", Map.of("first", "Ada", "sshpubstring", SshKeys.generate("ada").publicKeyLine()));
    create(InfoKind.RESOURCE, "here", Map.of("accesstype", "local", "accessmethod", "local"));
    create(InfoKind.ALLOCATION, "ada.here", Map.of("resource", "here", "accountname", "ada"));
    create(InfoKind.PROJECT, "p1", Map.of("owner", "ada", "members", List.of("ada"), "allocations",
        List.of("ada.here")));
    // A generic pilot runs its environment's command (here never run: the submitter is a stand-in).
    create(InfoKind.ENVIRONMENT, "payload", Map.of("command", "/bin/true"));
  }

  @AfterAll
  static void stop() {
    launcher.release.countDown();
    testKit.shutdownTestKit();
  }

  @Test
  void aClustersStatusIsFilledFromItsPilotQueuesCounts() throws Exception {
    create(InfoKind.NODESET, "workers", Map.of("node_number", 2, "app_type", "generic",
        "app_role", "worker-nodes", "environment", "payload"));
    create(InfoKind.TEMPLATE, "plain", Map.of("nodesets", List.of("workers")));
    create(InfoKind.VIRTUAL_CLUSTER, "gen1", Map.of("owner", "ada", "project", "p1",
        "allocations", List.of("ada.here"), "cluster", "plain"));

    String queue = "gen1.workers.ada.here";
    JsonNode running = awaitCluster("gen1", "2 pilots running in statusinfo", c ->
        c.path("statusinfo").path("workers").path("running").asInt() == 2);
    assertEquals("running", running.path("state").asText(), running.toPrettyString());
    assertEquals(json("{\"workers\":{\"running\":2,\"idle\":0,\"error\":0,\"node_number\":2,\"requested\":2}}"),
        running.path("statusinfo"));
    assertEquals(json("{\"vacuum\":{\"workers\":{\"" + queue
        + "\":{\"aggregated\":{\"running\":2,\"idle\":0}}}}}"), running.path("statusraw"));

    // A pilot that stops running shows as idle (APF counts held pilots as pending).
    submitter.hold(queue);
    JsonNode held = awaitCluster("gen1", "1 running and 1 idle", c ->
        c.path("statusinfo").path("workers").path("idle").asInt() == 1);
    assertEquals(1, held.path("statusinfo").path("workers").path("running").asInt(), held.toPrettyString());
    assertEquals(1, held.path("statusraw").path("vacuum").path("workers").path(queue).path("aggregated")
        .path("idle").asInt(), held.toPrettyString());

    // Terminating: nothing is requested any more, and the counts follow the pilots down.
    info.update(InfoKind.VIRTUAL_CLUSTER, "gen1", Map.of("action", "terminate"), null, "ada")
        .toCompletableFuture().get(15, TimeUnit.SECONDS);
    JsonNode done = awaitCluster("gen1", "terminated", c -> c.path("state").asText().equals("terminated"));
    assertEquals(json("{\"workers\":{\"running\":0,\"idle\":0,\"error\":0,\"node_number\":2,\"requested\":0}}"),
        done.path("statusinfo"), done.toPrettyString());
  }

  @Test
  void aHeadNodeStartThatBlocksStallsNothingElse() throws Exception {
    create(InfoKind.NODESET, "wq-workers", Map.of("node_number", 1, "app_type", "workqueue",
        "app_role", "worker-nodes"));
    create(InfoKind.TEMPLATE, "wq", Map.of("nodesets", List.of("wq-workers")));
    create(InfoKind.VIRTUAL_CLUSTER, "wq1", Map.of("owner", "ada", "project", "p1",
        "allocations", List.of("ada.here"), "cluster", "wq"));
    assertTrue(launcher.entered.await(LIMIT.toSeconds(), TimeUnit.SECONDS), "the head node's start was called");

    // While the start blocks: another cluster goes all the way to running, its queue cycling.
    create(InfoKind.NODESET, "other-workers", Map.of("node_number", 1, "app_type", "generic",
        "app_role", "worker-nodes", "environment", "payload"));
    create(InfoKind.TEMPLATE, "other", Map.of("nodesets", List.of("other-workers")));
    create(InfoKind.VIRTUAL_CLUSTER, "gen2", Map.of("owner", "ada", "project", "p1",
        "allocations", List.of("ada.here"), "cluster", "other"));
    awaitCluster("gen2", "running beside a blocked head-node start", c -> c.path("state").asText().equals("running"));
    assertEquals(1, launcher.calls.get(), "one start, still blocked");
    JsonNode waiting = attributes(info.get(InfoKind.NODESET, "headnode-for-wq1").toCompletableFuture()
        .get(15, TimeUnit.SECONDS));
    assertEquals("new", waiting.path("state").asText(), "the head node waits for its start: " + waiting);
    assertEquals("initializing", cluster("wq1").path("state").asText());

    // The start's outcome comes back: here a refusal, which fails the head node and the cluster.
    launcher.release.countDown();
    JsonNode failed = awaitCluster("wq1", "failure", c -> c.path("state").asText().equals("failure"));
    assertTrue(failed.path("state_reason").asText().contains("stand-in manager refused"), failed.toPrettyString());
    assertEquals(1, launcher.calls.get(), "started once");
  }

  // ---- stand-ins -----------------------------------------------------------------------------

  /** A head-node launcher that blocks its thread until released, then refuses. */
  private static final class BlockingLauncher implements VirtualClusterLifecycle.ManagerLauncher {
    final CountDownLatch entered = new CountDownLatch(1);
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger calls = new AtomicInteger();

    @Override
    public org.vacuum.batch.headnode.WorkQueueManager start(
        org.vacuum.batch.headnode.WorkQueueManager.Settings settings) throws IOException {
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

  /** Pilots that run as soon as they are submitted and stop when retired; nothing is started. */
  private static final class StandInSubmitter implements Submitter, SubmitterLookup {
    private final Map<String, Map<PilotId, PilotInfo>> queues = new ConcurrentHashMap<>();
    private final AtomicInteger serial = new AtomicInteger();

    @Override
    public Submitter forConfig(SubmitterConfig config) {
      return this;
    }

    @Override
    public Path sandboxRoot(SubmitterConfig config) {
      return stateDir.resolve("pilots");
    }

    @Override
    public synchronized List<PilotId> submit(PilotSpec spec, int n) {
      List<PilotId> started = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        PilotId id = new PilotId(spec.queue(), spec.queue() + "." + serial.incrementAndGet());
        queues.computeIfAbsent(spec.queue(), q -> new LinkedHashMap<>())
            .put(id, new PilotInfo(PilotState.RUNNING, Instant.now(), Optional.empty(), Optional.empty()));
        started.add(id);
      }
      return started;
    }

    @Override
    public synchronized Map<PilotId, PilotInfo> status(String queue) {
      return Map.copyOf(queues.getOrDefault(queue, Map.of()));
    }

    @Override
    public void recall(String queue, Collection<String> pilotNames) {}

    @Override
    public synchronized void retire(List<PilotId> pilots) {
      for (PilotId p : pilots) {
        Map<PilotId, PilotInfo> q = queues.get(p.queue());
        if (q != null && q.containsKey(p)) {
          q.put(p, new PilotInfo(PilotState.DONE, q.get(p).submitted(), Optional.empty(), Optional.of("retired")));
        }
      }
    }

    /** The queue's first running pilot is held (as a batch system may hold a job). */
    synchronized void hold(String queue) {
      Map<PilotId, PilotInfo> q = queues.get(queue);
      PilotId first = q.entrySet().stream().filter(e -> e.getValue().state() == PilotState.RUNNING)
          .map(Map.Entry::getKey).findFirst().orElseThrow();
      q.put(first, new PilotInfo(PilotState.HELD, q.get(first).submitted(), Optional.empty(), Optional.empty()));
    }

    @Override
    public void close() {}
  }

  // ---- helpers -------------------------------------------------------------------------------

  private static void create(InfoKind kind, String name, Map<String, ?> attributes) throws Exception {
    info.create(kind, name, attributes, "ada").toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  private static JsonNode cluster(String name) throws Exception {
    return attributes(info.get(InfoKind.VIRTUAL_CLUSTER, name).toCompletableFuture().get(15, TimeUnit.SECONDS));
  }

  /** An object's attributes as one JSON object (each is stored as JSON text). */
  private static JsonNode attributes(InfoObject o) throws IOException {
    ObjectNode all = JSON.createObjectNode();
    for (Map.Entry<String, String> a : o.attributes().entrySet()) {
      all.set(a.getKey(), a.getValue() == null ? NullNode.getInstance() : JSON.readTree(a.getValue()));
    }
    return all;
  }

  private interface ClusterCheck {
    boolean ok(JsonNode cluster);
  }

  private static JsonNode awaitCluster(String name, String what, ClusterCheck check) throws Exception {
    JsonNode[] last = new JsonNode[1];
    await(name + ": " + what, () -> {
      try {
        last[0] = cluster(name);
        return check.ok(last[0]);
      } catch (Exception e) {
        return false;
      }
    }, () -> String.valueOf(last[0]));
    return last[0];
  }

  private static void await(String what, BooleanSupplier check, Supplier<String> detail) throws InterruptedException {
    Instant deadline = Instant.now().plus(LIMIT);
    while (!check.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + LIMIT.toSeconds() + " s: " + what + "\n" + detail.get());
      }
      Thread.sleep(100);
    }
  }

  private static JsonNode json(String text) throws IOException {
    return JSON.readTree(text);
  }
}
