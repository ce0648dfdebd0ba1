package org.vacuum.it;

import org.vacuum.protocol.factory.FactoryProtocol;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState;
import org.apache.pekko.cluster.sharding.ShardRegion.ShardState;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.factory.Factory;
import org.vacuum.node.VacuumNode;
import org.vacuum.protocol.factory.FactoryProtocol.FactoryQuery;
import org.vacuum.protocol.factory.FactoryStatus;
import org.vacuum.space.Census;

/**
 * Three factories in one space, three nodes in one JVM: each hosts its own factory, the census
 * sees all three, and when one leaves gracefully its factory is not started anywhere else.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ThreeNodeSpaceTest {

  @TempDir static Path dir;

  private final List<VacuumNode> nodes = new ArrayList<>();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void startThreeNodes() throws Exception {
    int seedPort = TestNodes.freePort();
    List<String> seeds = List.of("127.0.0.1:" + seedPort);
    for (int i = 1; i <= 3; i++) {
      int port = i == 1 ? seedPort : TestNodes.freePort();
      nodes.add(TestNodes.start(TestNodes.settings("f" + i, dir.resolve("f" + i), port, seeds)));
    }
  }

  @AfterAll
  void stopNodes() {
    // One after another (DESIGN §9).
    for (int i = nodes.size() - 1; i >= 0; i--) nodes.get(i).close();
  }

  @Test
  @Order(1)
  void allThreeAreUpAndEachHostsItsOwnFactory() throws Exception {
    for (VacuumNode node : nodes) {
      TestNodes.await(Duration.ofSeconds(20), "3 Up members seen by " + node.settings().factoryName(),
          () -> upMembers(node.system()) == 3);
    }
    for (VacuumNode node : nodes) {
      Set<String> hosted = hostedFactories(node.system());
      assertEquals(Set.of(node.settings().factoryName()), hosted,
          "node of " + node.settings().factoryName() + " hosts " + hosted);
    }
  }

  @Test
  @Order(2)
  void clusterMembersOverHttpShowsThree() throws Exception {
    for (VacuumNode node : nodes) {
      JsonNode members = json.readTree(TestNodes.get(node, "/cluster/members").body()).get("members");
      assertEquals(3, members.size(), members.toString());
    }
  }

  @Test
  @Order(3)
  void censusFromAnyNodeFindsAllThreeFactories() throws Exception {
    for (VacuumNode node : nodes) {
      JsonNode census = json.readTree(TestNodes.get(node, "/api/v1/factories").body());
      List<String> names = new ArrayList<>();
      census.get("factories").forEach(f -> names.add(f.get("factory").asText()));
      assertEquals(List.of("f1.example.com", "f2.example.com", "f3.example.com"), names);
      assertEquals(0, census.get("no_reply").size());
    }
  }

  @Test
  @Order(4)
  void aDrainOnOneFactoryIsSetOnItsOwnNodeFromAnother() throws Exception {
    VacuumNode first = nodes.get(0);
    var response = TestNodes.post(first, "/api/v1/factories/f2.example.com/drain", "{\"reason\":\"disk swap\"}");
    assertEquals(200, response.statusCode(), response.body());
    FactoryStatus f2 = ClusterSharding.get(nodes.get(1).system()).entityRefFor(FactoryProtocol.ENTITY_KEY, "f2.example.com")
        .<FactoryStatus>askWithStatus(FactoryQuery::new, Duration.ofSeconds(5)).toCompletableFuture().get();
    assertTrue(f2.draining());
  }

  @Test
  @Order(5)
  void aNodeThatLeavesTakesItsFactoryWithItAndNothingStartsElsewhere() throws Exception {
    VacuumNode third = nodes.remove(2);
    third.close();
    for (VacuumNode node : nodes) {
      TestNodes.await(Duration.ofSeconds(20), "2 members seen by " + node.settings().factoryName(),
          () -> upMembers(node.system()) == 2 && allMembers(node.system()) == 2);
      JsonNode members = json.readTree(TestNodes.get(node, "/cluster/members").body()).get("members");
      assertEquals(2, members.size(), members.toString());
    }

    // The census only asks members: f3 is simply gone from it.
    Census.Result census = Census.run(nodes.get(0).system(), nodes.get(0).settings(), Duration.ofSeconds(3))
        .toCompletableFuture().get();
    assertEquals(List.of("f1.example.com", "f2.example.com"),
        census.factories().stream().map(FactoryStatus::factory).toList());

    // Asked directly through sharding, f3 is refused (or silent), never served from another node.
    try {
      FactoryStatus answer = ClusterSharding.get(nodes.get(0).system())
          .entityRefFor(FactoryProtocol.ENTITY_KEY, "f3.example.com")
          .<FactoryStatus>askWithStatus(FactoryQuery::new, Duration.ofSeconds(3)).toCompletableFuture().get();
      throw new AssertionError("f3 answered from another node: " + answer);
    } catch (ExecutionException | CompletionException e) {
      String why = String.valueOf(e.getCause());
      assertTrue(why.contains("f3.example.com is unreachable") || why.contains("Timeout"), why);
    }
    for (VacuumNode node : nodes) {
      TestNodes.await(Duration.ofSeconds(5), "no f3 entity alive on " + node.settings().factoryName(),
          () -> !hostedFactories(node.system()).contains("f3.example.com"));
    }

    // And over HTTP the API names the problem.
    var drain = TestNodes.post(nodes.get(0), "/api/v1/factories/f3.example.com/drain", null);
    assertEquals(404, drain.statusCode(), drain.body());
  }

  @Test
  @Order(6)
  void aControlOnlyMemberHostsNoFactoryButTakesTheCensus() throws Exception {
    String seed = "127.0.0.1:" + nodes.get(0).system().address().getPort().get();
    java.util.Map<String, Object> settings = TestNodes.settings("c1", dir.resolve("c1"), TestNodes.freePort(), List.of(seed));
    settings.put("pekko.cluster.roles", List.of("control"));
    try (VacuumNode control = TestNodes.start(settings)) {
      nodes.add(control);
      assertEquals(200, TestNodes.get(control, "/ready").statusCode());
      JsonNode census = json.readTree(TestNodes.get(control, "/api/v1/factories").body());
      List<String> names = new ArrayList<>();
      census.get("factories").forEach(f -> names.add(f.get("factory").asText()));
      assertEquals(List.of("f1.example.com", "f2.example.com"), names, "c1 is no factory of the space");
    } finally {
      nodes.remove(nodes.size() - 1);
    }
  }

  @Test
  @Order(7)
  void aReturningNodeTakesItsFactoryBackFromWhereverTheGuardRefusedIt() throws Exception {
    // Order 5 made node 1 allocate f3's shard to itself (the guard refused there). Now f3 comes back.
    assertTrue(shardsOf(nodes.get(0).system()).contains("f3.example.com")
        || shardsOf(nodes.get(1).system()).contains("f3.example.com"), "f3's shard was allocated to a survivor");
    String seed = "127.0.0.1:" + nodes.get(0).system().address().getPort().get();
    VacuumNode third = TestNodes.start(TestNodes.settings("f3", dir.resolve("f3"), TestNodes.freePort(), List.of(seed)));
    nodes.add(third);
    assertEquals(Set.of("f3.example.com"), hostedFactories(third.system()));
    for (VacuumNode node : nodes.subList(0, 2)) {
      assertTrue(!shardsOf(node.system()).contains("f3.example.com"), "f3 moved home from " + node.settings().factoryName());
    }
    FactoryStatus f3 = ClusterSharding.get(nodes.get(0).system()).entityRefFor(FactoryProtocol.ENTITY_KEY, "f3.example.com")
        .<FactoryStatus>askWithStatus(FactoryQuery::new, Duration.ofSeconds(5)).toCompletableFuture().get();
    assertEquals("f3.example.com", f3.factory());
  }

  private static long upMembers(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }

  private static long allMembers(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false).count();
  }

  /** Factory shards allocated to this node right now, alive entities or not. */
  private static Set<String> shardsOf(ActorSystem<?> system) {
    return regionState(system).getShards().stream().map(ShardState::shardId).collect(Collectors.toSet());
  }

  /** Factory entities alive on this node right now, from its shard region. */
  private static Set<String> hostedFactories(ActorSystem<?> system) {
    return regionState(system).getShards().stream()
        .flatMap((ShardState s) -> s.getEntityIds().stream())
        .collect(Collectors.toSet());
  }

  private static CurrentShardRegionState regionState(ActorSystem<?> system) {
    TestProbe<CurrentShardRegionState> probe = TestProbe.create(system);
    ClusterSharding.get(system).shardState().tell(new GetShardRegionState(FactoryProtocol.ENTITY_KEY, probe.ref()));
    return probe.receiveMessage(Duration.ofSeconds(5));
  }
}
