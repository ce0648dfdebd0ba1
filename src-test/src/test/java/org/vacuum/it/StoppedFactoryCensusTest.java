package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Down;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.node.VacuumNode;

/**
 * A census when one factory's node has stopped without leaving (its ActorSystem terminated, as a
 * crash looks to the others): the other two answer, the census ends at the deadline vac.conf's
 * {@code udp_timeout_seconds} sets, and the silent factory is named in {@code no_reply}, for the
 * factories census and the machinetypes census alike.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoppedFactoryCensusTest {

  /** vac.conf's udp_timeout_seconds on every node: the census deadline. */
  private static final int UDP_TIMEOUT_SECONDS = 3;
  /** What a census may take beyond its deadline: the HTTP round trip and JSON, on a busy machine. */
  private static final Duration SLACK = Duration.ofSeconds(2);

  /** Every §3.6 field of a factory_status (deprecated aliases included), as the admin API must give them. */
  private static final List<String> FACTORY_STATUS_FIELDS = List.of("message_type", "vac_version", "daemon_version",
      "vacquery_version", "space", "factory", "site", "time_sent", "running_processors", "running_cpus",
      "running_machines", "running_hs06", "max_processors", "max_cpus", "max_machines", "max_hs06", "total_cpus",
      "total_machines", "total_hs06", "root_disk_avail_kb", "root_disk_avail_inodes", "daemon_disk_avail_kb",
      "vac_disk_avail_kb", "daemon_disk_avail_inodes", "vac_disk_avail_inodes", "load_average", "kernel_version",
      "os_issue", "boot_time", "factory_heartbeat_time", "responder_heartbeat_time", "mjf_heartbeat_time",
      "metadata_heartbeat_time", "swap_used_kb", "swap_free_kb", "mem_used_kb", "mem_total_kb");

  @TempDir static Path dir;

  private final List<VacuumNode> nodes = new ArrayList<>();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void startThreeFactories() throws Exception {
    Path image = Files.write(dir.resolve("root.img"), new byte[4096]);
    int seedPort = TestNodes.freePort();
    List<String> seeds = List.of("127.0.0.1:" + seedPort);
    for (int i = 1; i <= 3; i++) {
      Path state = dir.resolve("f" + i);
      Files.createDirectories(state.resolve("etc"));
      // target_share 0: nothing is created, the slots stay empty.
      Files.writeString(state.resolve("etc/vac.conf"), """
          [settings]
          vac_space = vac01.example.com
          udp_timeout_seconds = %d

          [machinetype lhcb]
          machine_model = vm-raw
          root_image = %s
          target_share = 0
          """.formatted(UDP_TIMEOUT_SECONDS, image));
      Map<String, Object> settings = TestNodes.settings("f" + i, state, i == 1 ? seedPort : TestNodes.freePort(), seeds);
      if (i == 3) {
        // Terminating its ActorSystem must not run the graceful leave: the others see a crash.
        settings.put("pekko.coordinated-shutdown.run-by-actor-system-terminate", "off");
      }
      nodes.add(TestNodes.start(settings));
    }
    for (VacuumNode node : nodes) {
      TestNodes.await(Duration.ofSeconds(30), "3 Up members seen by " + node.settings().factoryName(),
          () -> upMembers(node.system()) == 3);
    }
  }

  @AfterAll
  void stopNodes() {
    // Down the stopped member first: the others' graceful leave would wait for the resolver to do it.
    Cluster.get(nodes.get(0).system()).manager().tell(Down.apply(nodes.get(2).system().address()));
    for (int i = nodes.size() - 1; i >= 0; i--) nodes.get(i).close();
  }

  @Test
  void aStoppedFactoryIsNamedAndTheCensusEndsAtTheDeadlineWithTheOtherTwo() throws Exception {
    VacuumNode first = nodes.get(0);
    JsonNode all = json.readTree(TestNodes.get(first, "/api/v1/factories").body());
    assertEquals(List.of("f1.example.com", "f2.example.com", "f3.example.com"), names(all.get("factories")));
    for (JsonNode f : all.get("factories")) {
      Set<String> missing = new TreeSet<>(FACTORY_STATUS_FIELDS);
      f.fieldNames().forEachRemaining(missing::remove);
      assertEquals(Set.of(), missing, "factory_status fields missing from " + f.get("factory"));
      assertTrue(f.get("mem_total_kb").asLong() > 0 && f.get("boot_time").asLong() > 0
          && f.get("factory_heartbeat_time").isNumber() && f.get("os_issue").isTextual(), f.toPrettyString());
    }
    JsonNode types = json.readTree(TestNodes.get(first, "/api/v1/machinetypes").body());
    assertEquals(List.of("f1.example.com", "f2.example.com", "f3.example.com"), names(types.get("machinetypes")));

    VacuumNode third = nodes.get(2);
    third.system().terminate();
    third.whenTerminated().toCompletableFuture().get();

    long started = System.nanoTime();
    JsonNode census = json.readTree(TestNodes.get(first, "/api/v1/factories").body());
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertEquals(List.of("f1.example.com", "f2.example.com"), names(census.get("factories")), census.toPrettyString());
    assertEquals("[\"f3.example.com\"]", census.get("no_reply").toString());
    assertTrue(took.compareTo(Duration.ofSeconds(UDP_TIMEOUT_SECONDS).plus(SLACK)) < 0,
        "the factories census took " + took.toMillis() + " ms, deadline " + UDP_TIMEOUT_SECONDS + " s");

    started = System.nanoTime();
    JsonNode machinetypes = json.readTree(TestNodes.get(first, "/api/v1/machinetypes?name=lhcb").body());
    took = Duration.ofNanos(System.nanoTime() - started);
    assertEquals(List.of("f1.example.com", "f2.example.com"), names(machinetypes.get("machinetypes")),
        machinetypes.toPrettyString());
    assertEquals("[\"f3.example.com\"]", machinetypes.get("no_reply").toString());
    assertTrue(took.compareTo(Duration.ofSeconds(UDP_TIMEOUT_SECONDS).plus(SLACK)) < 0,
        "the machinetypes census took " + took.toMillis() + " ms, deadline " + UDP_TIMEOUT_SECONDS + " s");
    JsonNode lhcb = machinetypes.get("machinetypes").get(0);
    assertEquals("machinetype_status", lhcb.get("message_type").asText());
    assertEquals(1, lhcb.get("num_machinetypes").asInt());
    assertEquals(0, lhcb.get("running_machines").asInt());
  }

  private static List<String> names(JsonNode replies) {
    List<String> names = new ArrayList<>();
    replies.forEach(r -> names.add(r.get("factory").asText()));
    return names;
  }

  private static long upMembers(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .filter(m -> m.status() == MemberStatus.up()).count();
  }
}
