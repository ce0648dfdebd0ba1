package org.vacuum.it.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.it.TestNodes;
import org.vacuum.node.VacuumNode;

/**
 * An allocation's life as a VC3 user lives it, against a real OpenSSH sshd: create the resource and
 * the allocation, read the public key vacuum issued, install it on the resource, ask to validate:
 * the allocation is {@code ready}. An allocation whose key was not installed ends in {@code
 * validation_failure}; installing the key and validating again makes it {@code ready}.
 */
class AllocationLifecycleTest {


  @TempDir Path dir;

  @Test
  void validationLogsInWithTheIssuedKeyAndFailsWithoutIt() throws Exception {
    Optional<String> skip = TestSshd.skipReason();
    if (skip.isPresent()) {
      System.out.println("AllocationLifecycleTest skipped: " + skip.get());
      Assumptions.abort(skip.get());
    }
    Map<String, Object> s = TestNodes.settings("al1", dir.resolve("state"), TestNodes.freePort(), List.of());
    try (TestSshd sshd = TestSshd.start();
        VacuumNode node = TestNodes.start(s)) {
      String url = "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
      TestNodes.sendJson(url + "resources", "POST", Map.of("name", "login1", "accesstype", "batch", "accessmethod", "ssh",
          "accessflavor", "fork", "accesshost", sshd.host(), "accessport", sshd.port()), 201);
      for (String name : List.of("ada.login1", "bob.login1")) {
        TestNodes.sendJson(url + "allocations", "POST", Map.of("name", name, "resource", "login1",
            "accountname", TestSshd.user()), 201);
      }

      JsonNode ada = TestNodes.awaitState(url + "allocations/ada.login1", "configured", Duration.ofSeconds(30));
      assertEquals("ssh-rsa", ada.path("sectype").asText());
      assertEquals("********", ada.path("privtoken").asText(), "the private key is never shown");
      String publicKey = new String(Base64.getMimeDecoder().decode(ada.path("pubtoken").asText()),
          StandardCharsets.UTF_8).strip();
      assertTrue(publicKey.startsWith("ssh-rsa ") && publicKey.endsWith(" ada.login1"), publicKey);
      sshd.authorize(publicKey);

      TestNodes.sendJson(url + "allocations/ada.login1", "PATCH", Map.of("action", "validate"), 200);
      JsonNode ready = TestNodes.awaitState(url + "allocations/ada.login1", "ready", Duration.ofSeconds(30));
      assertEquals("Allocation is ready to be used.", ready.path("state_reason").asText());
      assertEquals("new", ready.path("action").asText(), "the validate action is consumed");

      TestNodes.awaitState(url + "allocations/bob.login1", "configured", Duration.ofSeconds(30));
      TestNodes.sendJson(url + "allocations/bob.login1", "PATCH", Map.of("action", "validate"), 200);
      JsonNode failed = TestNodes.awaitState(url + "allocations/bob.login1", "validation_failure", Duration.ofSeconds(30));
      assertTrue(failed.path("state_reason").asText().contains("authentication refused"),
          failed.path("state_reason").asText());

      JsonNode bob = TestNodes.getJson(url + "allocations/bob.login1");
      sshd.authorize(new String(Base64.getMimeDecoder().decode(bob.path("pubtoken").asText()),
          StandardCharsets.UTF_8).strip());
      TestNodes.sendJson(url + "allocations/bob.login1", "PATCH", Map.of("action", "validate"), 200);
      TestNodes.awaitState(url + "allocations/bob.login1", "ready", Duration.ofSeconds(30));
    }
  }
}
