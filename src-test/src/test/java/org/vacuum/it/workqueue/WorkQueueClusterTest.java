package org.vacuum.it.workqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;

/**
 * A VC3 user's virtual cluster with a real workload, on the control node's own resource: user,
 * resource, allocation, project, a worker nodeset of 3 {@code workqueue} nodes, a template and the
 * cluster are created over the API; the cluster reaches {@code running} with a Work Queue manager as
 * head node and 3 real {@code work_queue_worker} pilots connected to it (read from the manager's
 * own status); resizing to 1 retires the 2 newest; terminating ends {@code terminated} with no
 * worker or manager process left.
 */
class WorkQueueClusterTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  @Test
  void aWorkQueueClusterRunsResizesAndTerminatesLeavingNothingBehind() throws Exception {
    if (!Files.isExecutable(Path.of("/usr/bin/work_queue_worker"))) {
      String why = "coop-computing-tools is not installed (work_queue_worker missing)";
      System.out.println("WorkQueueClusterTest skipped: " + why);
      Assumptions.abort(why);
    }
    Path state = dir.resolve("state");
    Map<String, Object> s = TestNodes.settings("vc1", state, TestNodes.freePort(), List.of());
    s.put("vacuum.vc3.tick", "1s");
    s.put("vacuum.vc3.pilot-refresh", "1s");
    try (VacuumNode node = TestNodes.start(s)) {
      String api = "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
      TestNodes.sendJson(api + "users", "POST", Map.of("name", "ada", "first", "Ada",
          "sshpubstring", SshKeys.generate("ada").publicKeyLine()), 201);
      TestNodes.sendJson(api + "resources", "POST", Map.of("name", "here", "accesstype", "local", "accessmethod", "local"), 201);
      TestNodes.sendJson(api + "allocations", "POST", Map.of("name", "ada.here", "resource", "here", "accountname", "root"), 201);
      TestNodes.sendJson(api + "projects", "POST", Map.of("name", "p1", "owner", "ada", "members", List.of("ada"),
          "allocations", List.of("ada.here")), 201);
      TestNodes.sendJson(api + "nodesets", "POST", Map.of("name", "workers", "node_number", 3, "app_type", "workqueue",
          "app_role", "worker-nodes", "app_killorder", "newest"), 201);
      TestNodes.sendJson(api + "templates", "POST", Map.of("name", "wq", "nodesets", List.of("workers")), 201);
      TestNodes.sendJson(api + "clusters", "POST", Map.of("name", "wq1", "owner", "ada", "project", "p1",
          "allocations", List.of("ada.here"), "cluster", "wq"), 201);

      Path status = state.resolve("headnodes/wq1/status.json");
      await(Duration.ofSeconds(90), "3 workers connected to the head node", () -> workers(status) == 3,
          () -> TestNodes.getJson(api + "clusters/wq1").toPrettyString());
      TestNodes.awaitState(api + "clusters/wq1", "running", Duration.ofSeconds(30));
      JsonNode head = TestNodes.getJson(api + "nodesets/headnode-for-wq1");
      assertEquals("running", head.path("state").asText(), head.toPrettyString());
      assertEquals("127.0.0.1", head.path("app_host").asText());

      List<Path> pilots = sandboxes(state.resolve("pilots/wq1.workers.ada.here"));
      assertEquals(3, pilots.size(), "three pilots: " + pilots);
      TestNodes.sendJson(api + "nodesets/workers", "PATCH", Map.of("node_number", 1), 200);
      await(Duration.ofSeconds(60), "1 worker left", () -> workers(status) == 1 && alivePilots(pilots).size() == 1,
          () -> "alive: " + alivePilots(pilots));
      assertEquals(List.of(pilots.get(0)), alivePilots(pilots), "killorder newest keeps the oldest pilot");

      TestNodes.sendJson(api + "clusters/wq1", "PATCH", Map.of("action", "terminate"), 200);
      TestNodes.awaitState(api + "clusters/wq1", "terminated", Duration.ofSeconds(60));
      await(Duration.ofSeconds(15), "no worker or manager process left",
          () -> processes(c -> c.contains("work_queue_worker") || c.contains(state.resolve("headnodes").toString()))
              .isEmpty(), () -> String.valueOf(processes(c -> c.contains("work_queue"))));
      assertEquals(404, status(api + "nodesets/headnode-for-wq1"), "the head-node record is gone");
    }
  }

  private static int workers(Path status) {
    try {
      return Files.exists(status) ? JSON.readTree(Files.readString(status)).path("workers_connected").asInt() : -1;
    } catch (Exception e) {
      return -1;
    }
  }

  /** The pilots' sandboxes, oldest first. */
  private static List<Path> sandboxes(Path queue) throws Exception {
    try (Stream<Path> all = Files.list(queue)) {
      return all.filter(Files::isDirectory)
          .sorted(Comparator.comparingLong(p -> pid(p)))
          .toList();
    }
  }

  private static long pid(Path sandbox) {
    try {
      return Long.parseLong(Files.readString(sandbox.resolve("pilot.pid")).strip().split(" ")[0]);
    } catch (Exception e) {
      return Long.MAX_VALUE;
    }
  }

  private static List<Path> alivePilots(List<Path> pilots) {
    List<Path> alive = new ArrayList<>();
    for (Path p : pilots) {
      if (ProcessHandle.of(pid(p)).map(ProcessHandle::isAlive).orElse(false)) alive.add(p);
    }
    return alive;
  }

  private static List<String> processes(Predicate<String> commandLine) {
    return ProcessHandle.allProcesses()
        .map(p -> p.info().commandLine().orElse(""))
        .filter(commandLine)
        .toList();
  }

  private interface Check {
    boolean ok() throws Exception;
  }

  private interface Detail {
    String get() throws Exception;
  }

  private static void await(Duration limit, String what, Check check, Detail detail) throws Exception {
    Instant deadline = Instant.now().plus(limit);
    while (!check.ok()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what + "\n" + detail.get());
      }
      Thread.sleep(200);
    }
  }

  private static int status(String url) throws Exception {
    return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode();
  }
}
