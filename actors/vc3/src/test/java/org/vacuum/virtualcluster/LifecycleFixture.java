package org.vacuum.virtualcluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.persistence.testkit.PersistenceTestKitPlugin;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.infoservice.InfoEntities;
import org.vacuum.infoservice.InfoEntity;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.pilot.PilotQueue;
import org.vacuum.pilot.SubmitterLookup;
import org.vacuum.protocol.info.InfoProtocol.InfoObject;

/**
 * A one-node cluster with an in-memory journal running the virtual-cluster lifecycle with its
 * real neighbours (information entities, pilot queues, sharding), pilots going to the submitter
 * given, and a VC3 user {@code ada} with a local resource, her allocation {@code ada.here}, a
 * project {@code p1} and an environment {@code payload} whose command a generic pilot would run.
 *
 * <p>Every actor shares one dispatcher thread, so a call that blocked an actor's thread would
 * stall every other actor.
 */
final class LifecycleFixture implements AutoCloseable {

  static final Duration LIMIT = Duration.ofSeconds(30);
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = 127.0.0.1
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.roles = [control]
      pekko.cluster.jmx.multi-mbeans-in-same-jvm = on
      # Leaving the cluster hands every shard off, on the one thread.
      pekko.actor.testkit.typed.system-shutdown-default = 30s
      pekko.actor.default-dispatcher.fork-join-executor {
        parallelism-min = 1
        parallelism-factor = 1.0
        parallelism-max = 1
      }
      """).withFallback(PersistenceTestKitPlugin.getInstance().config()).withFallback(ConfigFactory.load());

  final ActorTestKit testKit;
  final InfoEntities info;

  private LifecycleFixture(ActorTestKit testKit) {
    this.testKit = testKit;
    this.info = InfoEntities.get(testKit.system());
  }

  /** Starts everything; pilot queues refresh every 300 ms, the lifecycle ticks every {@code tick}. */
  static LifecycleFixture start(String name, Path stateDir, Duration tick, SubmitterLookup submitters,
      VirtualClusterLifecycle.ManagerLauncher launcher, VirtualClusterLifecycle.EvaluationObserver observer)
      throws Exception {
    LifecycleFixture f = new LifecycleFixture(ActorTestKit.create(name, CONFIG));
    ActorSystem<Void> system = f.testKit.system();
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
    await("the one-node cluster is up", () -> cluster.selfMember().status() == MemberStatus.up(),
        () -> cluster.selfMember().toString());
    InfoEntity.init(system);
    PilotQueue.init(system, Duration.ofMillis(300), submitters);
    f.testKit.spawn(VirtualClusterLifecycle.create(stateDir, tick, launcher, observer), "lifecycle");

    f.create(InfoKind.USER, "ada", Map.of("first", "Ada", "sshpubstring", SshKeys.generate("ada").publicKeyLine()));
    f.create(InfoKind.RESOURCE, "here", Map.of("accesstype", "local", "accessmethod", "local"));
    f.create(InfoKind.ALLOCATION, "ada.here", Map.of("resource", "here", "accountname", "ada"));
    f.create(InfoKind.PROJECT, "p1", Map.of("owner", "ada", "members", List.of("ada"), "allocations",
        List.of("ada.here")));
    f.create(InfoKind.ENVIRONMENT, "payload", Map.of("command", "/bin/true"));
    return f;
  }

  /** A nodeset of {@code nodes} generic workers, a template {@code <cluster>-template} of it, and the cluster. */
  void genericCluster(String cluster, String nodeset, int nodes) throws Exception {
    templateOf(cluster, nodeset, nodes, "generic");
    create(InfoKind.VIRTUAL_CLUSTER, cluster, Map.of("owner", "ada", "project", "p1",
        "allocations", List.of("ada.here"), "cluster", cluster + "-template"));
  }

  /** The nodeset and the template a cluster will use, without the cluster. */
  void templateOf(String cluster, String nodeset, int nodes, String appType) throws Exception {
    create(InfoKind.NODESET, nodeset, Map.of("node_number", nodes, "app_type", appType,
        "app_role", "worker-nodes", "environment", "payload"));
    create(InfoKind.TEMPLATE, cluster + "-template", Map.of("nodesets", List.of(nodeset)));
  }

  void create(InfoKind kind, String name, Map<String, ?> attributes) throws Exception {
    info.create(kind, name, attributes, "ada").toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  void update(InfoKind kind, String name, Map<String, ?> changes) throws Exception {
    info.update(kind, name, changes, null, "ada").toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  JsonNode get(InfoKind kind, String name) throws Exception {
    return attributes(info.get(kind, name).toCompletableFuture().get(15, TimeUnit.SECONDS));
  }

  /** Polls the cluster until {@code check} holds (at most {@link #LIMIT}); its attributes then. */
  JsonNode awaitCluster(String name, String what, Predicate<JsonNode> check) throws Exception {
    JsonNode[] last = new JsonNode[1];
    await(name + ": " + what, () -> {
      try {
        last[0] = get(InfoKind.VIRTUAL_CLUSTER, name);
        return check.test(last[0]);
      } catch (Exception e) {
        return false;
      }
    }, () -> String.valueOf(last[0]));
    return last[0];
  }

  static void await(String what, BooleanSupplier check, Supplier<String> detail) throws InterruptedException {
    Instant deadline = Instant.now().plus(LIMIT);
    while (!check.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + LIMIT.toSeconds() + " s: " + what + "\n" + detail.get());
      }
      Thread.sleep(100);
    }
  }

  static JsonNode json(String text) throws IOException {
    return JSON.readTree(text);
  }

  /** An object's attributes as one JSON object (each is stored as JSON text). */
  private static JsonNode attributes(InfoObject o) throws IOException {
    ObjectNode all = JSON.createObjectNode();
    for (Map.Entry<String, String> a : o.attributes().entrySet()) {
      all.set(a.getKey(), a.getValue() == null ? NullNode.getInstance() : JSON.readTree(a.getValue()));
    }
    return all;
  }

  @Override
  public void close() {
    testKit.shutdownTestKit();
  }
}
