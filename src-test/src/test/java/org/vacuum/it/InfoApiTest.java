package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.vacuum.infoservice.InfoEntities;
import org.vacuum.infoservice.InfoKind;
import org.vacuum.infoservice.InfoSecrets;
import org.vacuum.node.VacuumNode;

/**
 * The REST contract of VC3's information model on a real one-node cluster (H2 journal, real HTTP):
 * for every kind, create/conflict/read/list/update/delete with their status codes, versions and
 * ETags, and 400s that name every bad field.
 */
class InfoApiTest {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir static Path stateDir;
  private static VacuumNode node;

  @BeforeAll
  static void start() throws Exception {
    Map<String, Object> settings = new java.util.HashMap<>(TestNodes.settings("info", stateDir, TestNodes.freePort(), List.of()));
    // The REST contract alone: no lifecycle changes the objects under the test.
    settings.put("vacuum.vc3.lifecycles", "off");
    node = TestNodes.start(settings);
  }

  @AfterAll
  static void stop() {
    if (node != null) node.close();
  }

  /**
   * One kind's sample data: a valid object, a patch, an attribute of the wrong type and a
   * system-owned attribute (with a value of the right type, so only its owner is wrong).
   */
  record Case(String path, String name, String second, String body, String patch, String patched,
      String wrongType, String systemField) {
    @Override
    public String toString() {
      return path;
    }
  }

  static Stream<Case> kinds() {
    return Stream.of(
        new Case("users", "alice", "a0", "{\"first\": \"Alice\", \"email\": \"alice@example.org\"}",
            "{\"email\": \"alice@example.com\"}", "email", "{\"email\": 5}", "{\"state\": \"new\"}"),
        new Case("projects", "atlas", "a0", "{\"owner\": \"alice\", \"members\": [\"alice\"]}",
            "{\"members\": [\"alice\", \"bob\"]}", "members", "{\"members\": \"alice\"}", "{\"state\": \"new\"}"),
        new Case("resources", "cori", "a0", "{\"accesstype\": \"batch\", \"accessmethod\": \"ssh\", "
            + "\"accessflavor\": \"slurm\", \"accesshost\": \"cori.nersc.gov\", \"accessport\": 22}",
            "{\"accessport\": 2222}", "accessport", "{\"mfa\": \"yes\"}", "{\"state\": \"new\"}"),
        new Case("nodeinfo", "cori-knl", "a0", "{\"cores\": 32, \"memory_mb\": 3775, \"native_os\": \"suse:v12\", "
            + "\"features\": [\"shifter\"]}", "{\"cores\": 68}", "cores", "{\"cores\": \"many\"}",
            "{\"state\": \"new\"}"),
        new Case("nodesets", "workers", "a0", "{\"node_number\": 4, \"app_type\": \"htcondor\", "
            + "\"app_role\": \"worker-nodes\"}", "{\"node_number\": 8}", "node_number", "{\"app_peaceful\": \"no\"}",
            "{\"app_host\": \"10.0.0.5\"}"),
        new Case("templates", "condor-pool", "a0", "{\"nodesets\": [\"workers\"], \"public\": true}",
            "{\"public\": false}", "public", "{\"nodesets\": [1]}", "{\"state\": \"new\"}"),
        new Case("environments", "py3", "a0", "{\"packagelist\": [\"python3\"], \"envmap\": {\"A\": \"1\"}}",
            "{\"required_os\": \"redhat7\"}", "required_os", "{\"envmap\": [\"A=1\"]}", "{\"state\": \"new\"}"),
        new Case("allocations", "alice.cori", "a0.cori", "{\"resource\": \"cori\", \"accountname\": \"alice\"}",
            "{\"action\": \"validate\"}", "action", "{\"quantity\": \"lots\"}", "{\"privtoken\": \"c2VjcmV0\"}"),
        new Case("clusters", "vc1", "a0", "{\"project\": \"atlas\", \"allocations\": [\"alice.cori\"], "
            + "\"cluster\": \"condor-pool\", \"expiration\": \"2026-12-31T00:00:00\"}",
            "{\"action\": \"terminate\"}", "action", "{\"allocations\": \"alice.cori\"}",
            "{\"statusinfo\": {\"workers\": {\"running\": 1}}}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("kinds")
  void everyKindHasTheFullRestContract(Case c) throws Exception {
    InfoKind kind = InfoKind.byPath(c.path()).orElseThrow();
    String base = "/api/v1/" + c.path();

    // 201 with the whole object, version 1, ETag "1"; 409 for the same name again.
    HttpResponse<String> created = send("POST", base, withName(c.name(), c.body()), null);
    assertEquals(201, created.statusCode(), created.body());
    JsonNode object = JSON.readTree(created.body());
    assertEquals(c.name(), object.get("name").asText());
    assertEquals(1, object.get("version").asInt());
    assertEquals("new", object.get("state").asText(), "new objects start as new");
    Set<String> fields = new HashSet<>();
    object.fieldNames().forEachRemaining(fields::add);
    assertTrue(fields.containsAll(kind.attributes().keySet()), "every attribute shown: " + fields);
    assertEquals("\"1\"", created.headers().firstValue("ETag").orElse(null));
    HttpResponse<String> conflict = send("POST", base, withName(c.name(), "{}"), null);
    assertEquals(409, conflict.statusCode(), conflict.body());
    assertError(conflict);

    // 200 read with its ETag; a listing of all, sorted by name.
    HttpResponse<String> read = send("GET", base + "/" + c.name(), null, null);
    assertEquals(200, read.statusCode(), read.body());
    assertEquals(object, JSON.readTree(read.body()));
    assertEquals("\"1\"", read.headers().firstValue("ETag").orElse(null));
    assertEquals(201, send("POST", base, withName(c.second(), "{}"), null).statusCode());
    HttpResponse<String> list = send("GET", base, null, null);
    assertEquals(200, list.statusCode(), list.body());
    assertEquals(List.of(c.second(), c.name()), names(JSON.readTree(list.body()).get(c.path())));

    // 404 for a name that does not exist, whatever the method.
    for (String method : List.of("GET", "PATCH", "DELETE")) {
      HttpResponse<String> missing = send(method, base + "/nobody", method.equals("PATCH") ? c.patch() : null, null);
      assertEquals(404, missing.statusCode(), method + ": " + missing.body());
      assertError(missing);
    }

    // 400 naming every bad field: unknown, wrong type, system-owned, bad name.
    ObjectNode bad = (ObjectNode) JSON.readTree(c.wrongType());
    bad.setAll((ObjectNode) JSON.readTree(c.systemField()));
    bad.put("colour", "red");
    bad.put("name", "Bad.Name");
    HttpResponse<String> refused = send("POST", base, bad.toString(), null);
    assertEquals(400, refused.statusCode(), refused.body());
    List<String> badFields = new ArrayList<>();
    bad.fieldNames().forEachRemaining(badFields::add);
    assertEquals(Set.copyOf(badFields), Set.copyOf(names(JSON.readTree(refused.body()).get("fields"))),
        refused.body());
    HttpResponse<String> refusedPatch = send("PATCH", base + "/" + c.name(), c.systemField(), null);
    assertEquals(400, refusedPatch.statusCode(), refusedPatch.body());
    String systemField = JSON.readTree(c.systemField()).fieldNames().next();
    assertTrue(JSON.readTree(refusedPatch.body()).get("error").asText().contains(systemField), refusedPatch.body());

    // PATCH: sparse, version and ETag move on; a stale If-Match is 412 with the current version.
    HttpResponse<String> patched = send("PATCH", base + "/" + c.name(), c.patch(), "\"1\"");
    assertEquals(200, patched.statusCode(), patched.body());
    JsonNode after = JSON.readTree(patched.body());
    assertEquals(2, after.get("version").asInt());
    assertEquals(JSON.readTree(c.patch()).get(c.patched()), after.get(c.patched()));
    assertEquals("\"2\"", patched.headers().firstValue("ETag").orElse(null));
    JSON.readTree(c.body()).fields().forEachRemaining(f -> {
      if (!f.getKey().equals(c.patched())) {
        assertEquals(f.getValue(), after.get(f.getKey()), "sparse: " + f.getKey() + " kept");
      }
    });
    HttpResponse<String> stale = send("PATCH", base + "/" + c.name(), c.patch(), "\"1\"");
    assertEquals(412, stale.statusCode(), stale.body());
    assertEquals(2, JSON.readTree(stale.body()).get("version").asInt());

    // DELETE 200 with the object as it was, then 404; the listing forgets it.
    HttpResponse<String> deleted = send("DELETE", base + "/" + c.name(), null, null);
    assertEquals(200, deleted.statusCode(), deleted.body());
    assertEquals(2, JSON.readTree(deleted.body()).get("version").asInt());
    assertEquals(404, send("GET", base + "/" + c.name(), null, null).statusCode());
    assertEquals(404, send("DELETE", base + "/" + c.name(), null, null).statusCode());
    assertEquals(List.of(c.second()), names(JSON.readTree(send("GET", base, null, null).body()).get(c.path())));
  }

  @Test
  void valuesOutsideTheAllowedOnesAndBadBodiesAreRefusedByName() throws Exception {
    HttpResponse<String> grid = send("POST", "/api/v1/resources",
        "{\"name\": \"grid-site\", \"accesstype\": \"grid\", \"accessmethod\": \"ssh\"}", null);
    assertEquals(400, grid.statusCode(), grid.body());
    assertEquals(List.of("accesstype"), names(JSON.readTree(grid.body()).get("fields")));
    assertTrue(grid.body().contains("batch"), "the allowed values are listed: " + grid.body());

    HttpResponse<String> dotted = send("POST", "/api/v1/clusters", "{\"name\": \"vc.1\"}", null);
    assertEquals(400, dotted.statusCode(), dotted.body());
    assertTrue(dotted.body().contains("no dots"), dotted.body());

    assertEquals(400, send("POST", "/api/v1/users", "[1, 2]", null).statusCode());
    assertEquals(400, send("POST", "/api/v1/users", "{not json", null).statusCode());
    assertEquals(400, send("POST", "/api/v1/users", "{\"name\": \"x\", \"version\": 3}", null).statusCode());
    send("POST", "/api/v1/users", "{\"name\": \"ifmatch\"}", null);
    HttpResponse<String> badTag = send("PATCH", "/api/v1/users/ifmatch", "{\"first\": \"I\"}", "soon");
    assertEquals(400, badTag.statusCode(), badTag.body());
  }

  @Test
  void secretsSetByTheSystemAreMaskedOverRestButKeptForTheSystemSide() throws Exception {
    assertEquals(201, send("POST", "/api/v1/allocations",
        "{\"name\": \"bob.cori\", \"resource\": \"cori\", \"accountname\": \"bob\"}", null).statusCode());
    InfoEntities entities = InfoEntities.get(node.system());
    entities.systemUpdate(InfoKind.ALLOCATION, "bob.cori",
        Map.of("state", "configured", "sectype", "ssh-rsa", "pubtoken", "cHVi", "privtoken", "c2VjcmV0"), null)
        .toCompletableFuture().get(30, TimeUnit.SECONDS);

    JsonNode shown = JSON.readTree(send("GET", "/api/v1/allocations/bob.cori", null, null).body());
    assertEquals(InfoKind.MASK, shown.get("privtoken").asText());
    assertEquals("cHVi", shown.get("pubtoken").asText());
    assertEquals("configured", shown.get("state").asText());
    assertEquals(2, shown.get("version").asInt());
    assertFalse(send("GET", "/api/v1/allocations", null, null).body().contains("c2VjcmV0"));
    String kept = InfoKind.ALLOCATION.text(entities.get(InfoKind.ALLOCATION, "bob.cori")
        .toCompletableFuture().get(30, TimeUnit.SECONDS), "privtoken");
    assertTrue(kept.startsWith("enc:v1:"), "kept encrypted: " + kept);
    assertEquals("c2VjcmV0", InfoSecrets.get(node.system()).reveal(kept), "the system side reveals it");
  }

  private static String withName(String name, String body) throws Exception {
    ObjectNode object = (ObjectNode) JSON.readTree(body);
    ObjectNode named = JSON.createObjectNode().put("name", name);
    named.setAll(object);
    return named.toString();
  }

  private static List<String> names(JsonNode array) {
    List<String> names = new ArrayList<>();
    array.forEach(n -> names.add(n.isObject() ? n.get("name").asText() : n.asText()));
    return names;
  }

  private static void assertError(HttpResponse<String> response) throws Exception {
    JsonNode body = JSON.readTree(response.body());
    assertTrue(body.hasNonNull("error") && !body.get("error").asText().isBlank(), response.body());
  }

  private static HttpResponse<String> send(String method, String path, String body, String ifMatch) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Content-Type", "application/json");
    if (ifMatch != null) {
      request.header("If-Match", ifMatch);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
