package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.node.VacuumNode;

/**
 * An allocation on a {@code local} resource (pilots run on the control node itself) validates at
 * once: nothing to log in to. It used to stay "Validating allocation credentials." for ever, its
 * validation failing on a null reason every time.
 */
class LocalAllocationTest {

  @TempDir Path dir;

  @Test
  void aLocalAllocationValidatesAndIsReady() throws Exception {
    try (VacuumNode node = TestNodes.start(TestNodes.settings("loc1", dir.resolve("state"), TestNodes.freePort(), List.of()))) {
      String url = "http://127.0.0.1:" + node.adminPort() + "/api/v1/";
      TestNodes.sendJson(url + "resources", "POST", Map.of("name", "here", "accesstype", "local",
          "accessmethod", "local"), 201);
      TestNodes.sendJson(url + "allocations", "POST", Map.of("name", "ada.here", "resource", "here",
          "accountname", "ada"), 201);
      TestNodes.awaitState(url + "allocations/ada.here", "configured", Duration.ofSeconds(30));
      TestNodes.sendJson(url + "allocations/ada.here", "PATCH", Map.of("action", "validate"), 200);
      JsonNode ready = TestNodes.awaitState(url + "allocations/ada.here", "ready", Duration.ofSeconds(30));
      assertEquals("Allocation is ready to be used.", ready.path("state_reason").asText());
    }
  }
}
