package org.vacuum.it.ssh;


import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.batch.ssh.SshKeys;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;

/**
 * A virtual cluster whose workers run on an SSH resource ({@code accessmethod ssh}, {@code
 * accessflavor fork}) reached with its allocation's issued key, against a real OpenSSH sshd: the
 * allocation is validated, the cluster's two {@code generic} pilots run the Environment's command on
 * the resource, and terminating the cluster kills them there.
 */
class SshClusterTest {

  private static final String PAYLOAD = "sleep 301";

  @TempDir Path dir;

  @Test
  void pilotsRunOverSshWithTheAllocationsKeyAndAreRetiredOnTerminate() throws Exception {
    Optional<String> skip = TestSshd.skipReason();
    if (skip.isPresent()) {
      System.out.println("SshClusterTest skipped: " + skip.get());
      Assumptions.abort(skip.get());
    }
    Map<String, Object> s = TestNodes.settings("sc1", dir.resolve("state"), TestNodes.freePort(), List.of());
    s.put("vacuum.vc3.tick", "1s");
    s.put("vacuum.vc3.pilot-refresh", "1s");
    try (TestSshd sshd = TestSshd.start(); VacuumNode node = TestNodes.start(s)) {
      String api = "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
      TestNodes.sendJson(api + "resources", "POST", Map.of("name", "login1", "accesstype", "batch", "accessmethod", "ssh",
          "accessflavor", "fork", "accesshost", sshd.host(), "accessport", sshd.port(),
          "scratchdir", dir.resolve("scratch").toString()), 201);
      TestNodes.sendJson(api + "allocations", "POST", Map.of("name", "ada.login1", "resource", "login1",
          "accountname", TestSshd.user()), 201);
      JsonNode configured = TestNodes.awaitState(api + "allocations/ada.login1", "configured", Duration.ofSeconds(60));
      sshd.authorize(new String(Base64.getMimeDecoder().decode(configured.path("pubtoken").asText()),
          StandardCharsets.UTF_8).strip());
      TestNodes.sendJson(api + "allocations/ada.login1", "PATCH", Map.of("action", "validate"), 200);
      TestNodes.awaitState(api + "allocations/ada.login1", "ready", Duration.ofSeconds(60));

      TestNodes.sendJson(api + "users", "POST", Map.of("name", "ada", "sshpubstring", SshKeys.generate("ada").publicKeyLine()),
          201);
      TestNodes.sendJson(api + "projects", "POST", Map.of("name", "p1", "owner", "ada", "members", List.of("ada"),
          "allocations", List.of("ada.login1")), 201);
      TestNodes.sendJson(api + "environments", "POST", Map.of("name", "sleeper", "command", PAYLOAD,
          "envmap", Map.of("GREETING", "hello")), 201);
      TestNodes.sendJson(api + "nodesets", "POST", Map.of("name", "workers", "node_number", 2, "app_type", "generic",
          "app_role", "worker-nodes", "environment", "sleeper"), 201);
      TestNodes.sendJson(api + "templates", "POST", Map.of("name", "t1", "nodesets", List.of("workers")), 201);
      TestNodes.sendJson(api + "clusters", "POST", Map.of("name", "sc", "owner", "ada", "project", "p1",
          "allocations", List.of("ada.login1"), "cluster", "t1"), 201);

      TestNodes.awaitState(api + "clusters/sc", "running", Duration.ofSeconds(60));
      awaitCount(2);
      TestNodes.sendJson(api + "clusters/sc", "PATCH", Map.of("action", "terminate"), 200);
      TestNodes.awaitState(api + "clusters/sc", "terminated", Duration.ofSeconds(60));
      awaitCount(0);
    }
  }

  /** Waits until exactly {@code n} pilot payloads run on the resource (this host, through sshd). */
  private static void awaitCount(int n) throws Exception {
    Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
    while (payloads() != n) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not " + n + " '" + PAYLOAD + "' processes within 60 s: " + payloads());
      }
      Thread.sleep(200);
    }
  }

  private static long payloads() {
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().orElse("").matches("(/usr)?(/bin/)?sleep 301"))
        .count();
  }
}
