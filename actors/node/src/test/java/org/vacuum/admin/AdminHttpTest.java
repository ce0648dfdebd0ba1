package org.vacuum.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.config.VacuumConfig;
import org.vacuum.node.VacuumNode;

/** One real node on free ports with the H2 journal, driven over real HTTP. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AdminHttpTest {

  @TempDir static Path stateDir;

  private VacuumNode node;
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @BeforeAll
  void startNode() throws Exception {
    node = VacuumNode.start(VacuumConfig.load(Optional.empty(), Map.of(
        "vacuum.factory-name", "f1.example.com",
        "vacuum.space", "vac01.example.com",
        "vacuum.state-dir", stateDir.toString(),
        "vacuum.cluster-port", 0,
        "vacuum.admin.port", 0)));
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) request.header("Content-Type", "application/json");
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode jsonOf(HttpResponse<String> response) throws Exception {
    assertEquals("application/json", response.headers().firstValue("Content-Type").orElse(""), response.body());
    return json.readTree(response.body());
  }

  @Test
  void censusListsThisFactoryWithVacsFieldNames() throws Exception {
    HttpResponse<String> response = send("GET", "/api/v1/factories", null);
    assertEquals(200, response.statusCode());
    JsonNode census = jsonOf(response);
    assertEquals("vac01.example.com", census.get("space").asText());
    assertEquals(0, census.get("no_reply").size());
    JsonNode f = census.get("factories").get(0);
    assertEquals("f1.example.com", f.get("factory").asText());
    assertEquals("factory_status", f.get("message_type").asText());
    for (String field : new String[] {"running_processors", "running_cpus", "running_machines", "running_hs06",
        "max_processors", "max_cpus", "max_machines", "max_hs06", "total_cpus", "root_disk_avail_kb",
        "root_disk_avail_inodes", "daemon_disk_avail_kb", "vac_disk_avail_kb", "load_average", "kernel_version",
        "os_issue", "boot_time", "factory_heartbeat_time", "responder_heartbeat_time", "mjf_heartbeat_time",
        "metadata_heartbeat_time", "swap_used_kb", "swap_free_kb", "mem_used_kb", "mem_total_kb", "vac_version",
        "daemon_version", "vacquery_version", "site", "time_sent", "draining"}) {
      assertTrue(f.has(field), "factory_status lacks " + field + ": " + f);
    }
    assertTrue(f.get("factory_heartbeat_time").asLong() > 0, "registration counts as a heartbeat");
  }

  @Test
  void drainAndClearGoThroughTheFactory() throws Exception {
    HttpResponse<String> drained = send("POST", "/api/v1/factories/f1.example.com/drain", "{\"reason\":\"kernel update\"}");
    assertEquals(200, drained.statusCode(), drained.body());
    assertTrue(jsonOf(drained).get("draining").asBoolean());
    assertTrue(jsonOf(send("GET", "/api/v1/factories/f1.example.com", null)).get("draining").asBoolean());

    HttpResponse<String> cleared = send("DELETE", "/api/v1/factories/f1.example.com/drain", null);
    assertEquals(200, cleared.statusCode(), cleared.body());
    assertFalse(jsonOf(cleared).get("draining").asBoolean());

    assertEquals(200, send("POST", "/api/v1/factories/f1.example.com/drain", "").statusCode(), "a body is optional");
    send("DELETE", "/api/v1/factories/f1.example.com/drain", null);
  }

  @Test
  void badBodiesAreRefusedWithTheReason() throws Exception {
    HttpResponse<String> notJson = send("POST", "/api/v1/factories/f1.example.com/drain", "{reason: ");
    assertEquals(400, notJson.statusCode());
    assertTrue(jsonOf(notJson).get("error").asText().startsWith("request body is not JSON"), notJson.body());

    HttpResponse<String> unknown = send("POST", "/api/v1/factories/f1.example.com/drain", "{\"why\":\"x\"}");
    assertEquals(400, unknown.statusCode());
    assertTrue(jsonOf(unknown).get("error").asText().contains("[why]"), unknown.body());

    HttpResponse<String> wrongType = send("POST", "/api/v1/factories/f1.example.com/drain", "{\"reason\":5}");
    assertEquals(400, wrongType.statusCode());
    assertTrue(jsonOf(wrongType).get("error").asText().contains("\"reason\" must be a string"), wrongType.body());
  }

  @Test
  void unknownRoutesFactoriesAndMethodsAnswerJson() throws Exception {
    HttpResponse<String> route = send("GET", "/api/v1/nothing-here", null);
    assertEquals(404, route.statusCode());
    assertTrue(jsonOf(route).has("error"));

    HttpResponse<String> factory = send("POST", "/api/v1/factories/f9.example.com/drain", null);
    assertEquals(404, factory.statusCode());
    JsonNode body = jsonOf(factory);
    assertEquals("factory f9.example.com is not a member of space vac01.example.com", body.get("error").asText());
    assertEquals("f1.example.com", body.get("factories").get(0).asText());

    HttpResponse<String> method = send("PATCH", "/api/v1/factories", "{}");
    assertEquals(405, method.statusCode());
    assertTrue(jsonOf(method).get("error").asText().contains("GET"), method.body());
  }

  @Test
  void managementRoutesShareThePort() throws Exception {
    assertEquals(200, send("GET", "/ready", null).statusCode());
    assertEquals(200, send("GET", "/alive", null).statusCode());
    HttpResponse<String> members = send("GET", "/cluster/members", null);
    assertEquals(200, members.statusCode());
    JsonNode m = json.readTree(members.body()).get("members");
    assertEquals(1, m.size());
    assertEquals("Up", m.get(0).get("status").asText());
    assertTrue(m.get(0).get("roles").toString().contains("factory=f1.example.com"), m.toString());
  }
}
