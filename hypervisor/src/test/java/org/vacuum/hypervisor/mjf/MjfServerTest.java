package org.vacuum.hypervisor.mjf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.hypervisor.machine.MachineDirectory;
import org.vacuum.hypervisor.machine.MachineFeatures;

class MjfServerTest {

  private static final String FACTORY = "f1.example.com";
  private static final String GUEST_URL = "http://169.254.169.253";
  private static final UUID UUID5 = UUID.fromString("11111111-2222-4333-8444-555555555555");
  private static final UUID UUID6 = UUID.fromString("66666666-7777-4888-9999-aaaaaaaaaaaa");
  private static final String KEY = "ssh-rsa AAAAB3Nza root@f1.example.com\n";
  private static final String USER_DATA = "#!/bin/sh\necho slot five\n";

  @TempDir Path stateDir;
  private final Map<Integer, MachineView> machines = new LinkedHashMap<>();
  private final List<String> written = Collections.synchronizedList(new ArrayList<>());
  private MachineView five;
  private MjfServer server;

  @BeforeEach
  void setUp() throws IOException {
    Path root = stateDir.resolve("machines");
    MachineDirectory dir5 = MachineDirectory.create(root, 1_700_000_000L, "lhcb", "f1-05.example.com");
    dir5.writeFeatures(new MachineFeatures(UUID5, 1, 1_700_000_000L, 1_700_086_400L, 10.0, 2048, Map.of()));
    dir5.writeUserData(USER_DATA);
    dir5.writeRootPublicKey(KEY);
    MachineDirectory dir6 = MachineDirectory.create(root, 1_700_000_100L, "atlas", "f1-06.example.com");
    dir6.writeFeatures(new MachineFeatures(UUID6, 2, 1_700_000_100L, 1_700_000_700L, null, 2048, Map.of()));
    five = new MachineView("f1-05.example.com", UUID5, "lhcb", dir5, FACTORY);
    machines.put(5, five);
    machines.put(6, new MachineView("f1-06.example.com", UUID6, "atlas", dir6, FACTORY));

    server = MjfServer.start(List.of(new InetSocketAddress("127.0.0.1", 0)), "127.0.0.", GUEST_URL,
        ordinal -> Optional.ofNullable(machines.get(ordinal)),
        (machine, fileName) -> written.add(machine.name() + " " + fileName));
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void bindsARealPort() {
    assertEquals(1, server.addresses().size());
    assertNotEquals(0, server.addresses().get(0).getPort());
  }

  @Test
  void featureDirectoriesAreHtmlListsWithOrWithoutSlash() throws IOException {
    for (String path : List.of("/machinefeatures", "/machinefeatures/", "//machinefeatures//")) {
      Response r = get("127.0.0.5", path);
      assertEquals(200, r.status, path);
      assertEquals("text/html", r.header("content-type"), path);
      assertEquals("vacuum mjf server", r.header("server"), path);
      assertEquals("<html><body><ul>"
          + "<li><a href=\"/machinefeatures/hs06\">hs06</a></li>"
          + "<li><a href=\"/machinefeatures/jobslots\">jobslots</a></li>"
          + "<li><a href=\"/machinefeatures/log_cores\">log_cores</a></li>"
          + "<li><a href=\"/machinefeatures/phys_cores\">phys_cores</a></li>"
          + "<li><a href=\"/machinefeatures/shutdowntime\">shutdowntime</a></li>"
          + "<li><a href=\"/machinefeatures/total_cpu\">total_cpu</a></li>"
          + "</ul></body></html>", r.body, path);
    }
    Response jobs = get("127.0.0.6", "/jobfeatures");
    assertEquals(200, jobs.status);
    assertTrue(jobs.body.contains("<li><a href=\"/jobfeatures/job_id\">job_id</a></li>"), jobs.body);
    assertFalse(jobs.body.contains("hs06_job"), "machine 6 has no hs06: " + jobs.body);
  }

  @Test
  void featureKeysAreRawValuesOfTheRequestingMachine() throws IOException {
    assertValue("127.0.0.5", "/machinefeatures/total_cpu", "1");
    assertValue("127.0.0.6", "/machinefeatures/total_cpu", "2");
    assertValue("127.0.0.5", "/machinefeatures/hs06", "10.0");
    assertValue("127.0.0.5", "/jobfeatures/job_id", UUID5.toString());
    assertValue("127.0.0.6", "/jobfeatures/job_id", UUID6.toString());
    assertValue("127.0.0.5", "/jobfeatures/allocated_cpu", "1\n");
    assertValue("127.0.0.5", "//jobfeatures//shutdowntime_job", "1700086400");
    assertValue("127.0.0.5", "/machinefeatures/total_cpu?refresh=1", "1");
    // The absolute form of a request line, as sent to a proxy.
    assertValue("127.0.0.5", "http://169.254.169.253/machinefeatures/total_cpu", "1");
    assertEquals("vacuum mjf server", get("127.0.0.5", "/machinefeatures/total_cpu").header("server"));
  }

  @Test
  void featuresRewrittenOnDiskAreServedAtOnce() throws IOException {
    five.directory().lowerShutdownTime(1_700_000_500L);
    assertValue("127.0.0.5", "/machinefeatures/shutdowntime", "1700000500");
  }

  @Test
  void badFeaturePathsAreNotFound() throws IOException {
    for (String path : List.of(
        "/machinefeatures/../user_data",
        "/machinefeatures/../jobfeatures/job_id",
        "/machinefeatures/..",
        "/machinefeatures/.",
        "/machinefeatures/total_cpu/",
        "/machinefeatures/total_cpu/more",
        "/machinefeatures/nonesuch",
        "/jobfeatures/a/b/c",
        "/joboutputs",
        "/joboutputs/",
        "/joboutputs/shutdown_message")) {
      assertEquals(404, get("127.0.0.5", path).status, path);
    }
  }

  @Test
  void joboutputsAreNotReadableEvenWhenPresent() throws IOException {
    Files.writeString(five.directory().joboutputs().resolve("shutdown_message"), "300 Nothing to do");
    Response r = get("127.0.0.5", "/joboutputs/shutdown_message");
    assertEquals(404, r.status);
    assertEquals("vacuum mjf server", r.header("server"));
  }

  @Test
  void putWritesTheJoboutputAndTellsTheListener() throws IOException {
    Response r = request("127.0.0.5", "PUT", "/joboutputs/shutdown_message", "300 Nothing to do\n", true);

    assertEquals(201, r.status);
    assertEquals("vacuum mjf server", r.header("server"));
    Path file = five.directory().joboutputs().resolve("shutdown_message");
    assertEquals("300 Nothing to do\n", Files.readString(file));
    assertEquals("rw-r--r--", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(List.of("f1-05.example.com shutdown_message"), written);
    assertEquals(300, five.directory().shutdownMessage().orElseThrow().code());

    assertEquals(201, request("127.0.0.5", "PUT", "//joboutputs//shutdown_message", "100 Shutdown", true).status);
    assertEquals("100 Shutdown", Files.readString(file));
    assertEquals(201, request("127.0.0.5", "PUT", "/joboutputs/heartbeat", "", true).status);
    assertEquals("", Files.readString(five.directory().joboutputs().resolve("heartbeat")));
    assertEquals(3, written.size());
  }

  @Test
  void badPutsAreForbidden() throws IOException {
    assertEquals(403, request("127.0.0.5", "PUT", "/joboutputs/heartbeat", "x", false).status, "no Content-Length");
    for (String path : List.of("/joboutputs", "/joboutputs/", "/joboutputs/a/b", "/joboutputs/..", "/joboutputs/.",
        "/machinefeatures/hs06", "/latest/user-data")) {
      assertEquals(403, request("127.0.0.5", "PUT", path, "x", true).status, path);
    }
    assertEquals("10.0", Files.readString(five.directory().machinefeatures().resolve("hs06")));
    assertEquals(List.of(), written);
    try (var files = Files.list(five.directory().joboutputs())) {
      assertEquals(0, files.count());
    }
  }

  @Test
  void unknownMachinesGetNothing() throws IOException {
    // 127.0.0.77 is in the prefix but no slot 77 is known; 127.0.1.5 is outside the prefix.
    for (String from : List.of("127.0.0.77", "127.0.1.5")) {
      assertEquals(404, get(from, "/machinefeatures/total_cpu").status, from);
      assertEquals(404, get(from, "/latest/user-data").status, from);
      assertEquals(403, request(from, "PUT", "/joboutputs/shutdown_message", "300 x", true).status, from);
    }
    assertEquals(List.of(), written);
    assertFalse(Files.exists(five.directory().joboutputs().resolve("shutdown_message")));
  }

  @Test
  void userDataForEveryDateLatestAndOpenstack() throws IOException {
    for (String path : List.of("/latest/user-data", "/2009-04-04/user-data", "/openstack/2012-08-10/user-data",
        "/openstack/latest/user-data", "//latest//user-data")) {
      Response r = get("127.0.0.5", path);
      assertEquals(200, r.status, path);
      assertEquals(USER_DATA, r.body, path);
      assertEquals("text/plain", r.header("content-type"), path);
      assertEquals("vacuum metadata server", r.header("server"), path);
    }
    assertEquals(404, get("127.0.0.6", "/latest/user-data").status, "machine 6 has no user_data yet");
  }

  @Test
  void metaDataJsonDescribesTheMachine() throws IOException {
    for (String path : List.of("/latest/meta-data.json", "/2013-10-17/meta-data.json", "/openstack/latest/meta-data.json",
        "/openstack/2013-10-17/meta-data.json")) {
      Response r = get("127.0.0.5", path);
      assertEquals(200, r.status, path);
      assertEquals("application/json", r.header("content-type"), path);
      assertEquals("vacuum metadata server", r.header("server"), path);
      JsonNode json = new ObjectMapper().readTree(r.body);
      assertEquals(FACTORY, json.get("availability_zone").asText());
      assertEquals(KEY, json.get("public_keys").get("0").asText());
      assertEquals(UUID5.toString(), json.get("uuid").asText());
      assertEquals("f1-05.example.com", json.get("hostname").asText());
      assertEquals("f1-05.example.com", json.get("name").asText());
      assertEquals(GUEST_URL + "/machinefeatures", json.get("meta").get("machinefeatures").asText());
      assertEquals(GUEST_URL + "/jobfeatures", json.get("meta").get("jobfeatures").asText());
      assertEquals(GUEST_URL + "/joboutputs", json.get("meta").get("joboutputs").asText());
      assertEquals("lhcb", json.get("meta").get("machinetype").asText());
    }
  }

  @Test
  void withoutARootKeyThereAreNoPublicKeys() throws IOException {
    JsonNode json = new ObjectMapper().readTree(get("127.0.0.6", "/latest/meta-data.json").body);
    assertFalse(json.has("public_keys"), json.toString());
    assertEquals("atlas", json.get("meta").get("machinetype").asText());
    assertEquals(404, get("127.0.0.6", "/latest/meta-data/public-keys/0/openssh-key").status);
  }

  @Test
  void ec2MetaDataListingKeyAndIds() throws IOException {
    for (String path : List.of("/latest/meta-data", "/latest/meta-data/", "/2009-04-04/meta-data/")) {
      Response r = get("127.0.0.5", path);
      assertEquals(200, r.status, path);
      assertEquals("public-keys/0/openssh-key\nami-id\ninstance-id\n", r.body, path);
      assertEquals("text/plain", r.header("content-type"), path);
    }
    assertValue("127.0.0.5", "/latest/meta-data/public-keys/0/openssh-key", KEY);
    assertValue("127.0.0.5", "/2009-04-04/meta-data/public-keys/0/openssh-key", KEY);
    assertValue("127.0.0.5", "/latest/meta-data/instance-id", UUID5.toString());
    assertValue("127.0.0.5", "/latest/meta-data/ami-id", UUID5.toString());
    assertValue("127.0.0.6", "/latest/meta-data/instance-id", UUID6.toString());
  }

  @Test
  void everythingElseIsNotFound() throws IOException {
    for (String path : List.of("/", "/latest", "/latest/", "/latest/meta-data/hostname", "/09-04-04/user-data",
        "/latest/user-data/", "/openstack/latest/meta-data/instance-id", "/latest/meta-data/public-keys/1/openssh-key",
        "/user_data", "/machinefeaturesx")) {
      Response r = get("127.0.0.5", path);
      assertEquals(404, r.status, path);
    }
    assertEquals("vacuum metadata server", get("127.0.0.5", "/nonesuch").header("server"));
    assertEquals(405, request("127.0.0.5", "DELETE", "/machinefeatures/hs06", null, false).status);
  }

  @Test
  void heartbeatTimesFollowTheRouteAsked() throws IOException {
    assertEquals(Optional.empty(), server.lastMjfRequest());
    assertEquals(Optional.empty(), server.lastMetadataRequest());

    get("127.0.0.5", "/machinefeatures/hs06");
    assertTrue(server.lastMjfRequest().isPresent());
    assertEquals(Optional.empty(), server.lastMetadataRequest());

    get("127.0.0.5", "/latest/meta-data/instance-id");
    assertTrue(server.lastMetadataRequest().isPresent());
  }

  @Test
  void oneRouteSetOnEveryAddress() throws IOException {
    try (MjfServer two = MjfServer.start(
        List.of(new InetSocketAddress("127.0.0.1", 0), new InetSocketAddress("127.0.0.2", 0)), "127.0.0.", GUEST_URL,
        ordinal -> Optional.ofNullable(machines.get(ordinal)), (machine, fileName) -> {})) {
      assertEquals(2, two.addresses().size());
      for (InetSocketAddress address : two.addresses()) {
        assertEquals("1", send(address, "127.0.0.5", "GET", "/machinefeatures/total_cpu", null, false).body);
        assertEquals(USER_DATA, send(address, "127.0.0.5", "GET", "/latest/user-data", null, false).body);
      }
    }
  }

  private void assertValue(String from, String path, String expected) throws IOException {
    Response r = get(from, path);
    assertEquals(200, r.status, path);
    assertEquals(expected, r.body, path);
    assertEquals("text/plain", r.header("content-type"), path);
  }

  private Response get(String from, String path) throws IOException {
    return request(from, "GET", path, null, false);
  }

  private Response request(String from, String method, String path, String body, boolean contentLength) throws IOException {
    return send(server.addresses().get(0), from, method, path, body, contentLength);
  }

  /**
   * A raw HTTP/1.0 exchange from a chosen local address: all of 127/8 is loopback on Linux, so a
   * socket bound to 127.0.0.5 is slot 5 to a server whose prefix is 127.0.0.
   */
  private static Response send(
      InetSocketAddress server, String from, String method, String path, String body, boolean contentLength) throws IOException {
    try (Socket socket = new Socket()) {
      socket.bind(new InetSocketAddress(from, 0));
      socket.connect(server, 10_000);
      socket.setSoTimeout(10_000);
      byte[] bytes = body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
      StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.0\r\nHost: 169.254.169.253\r\n");
      if (contentLength) {
        head.append("Content-Length: ").append(bytes.length).append("\r\n");
      }
      head.append("\r\n");
      // Head and body in one write, as a machine's HTTP client sends a small request: a refused
      // request's body then arrives with its head, and the server's close cannot reset the answer.
      ByteArrayOutputStream request = new ByteArrayOutputStream();
      request.write(head.toString().getBytes(StandardCharsets.US_ASCII));
      request.write(bytes);
      OutputStream out = socket.getOutputStream();
      out.write(request.toByteArray());
      out.flush();
      if (!contentLength && bytes.length > 0) {
        // Without a length the body can only end with the connection.
        socket.shutdownOutput();
      }
      return Response.parse(readAll(socket.getInputStream()));
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toByteArray();
  }

  private record Response(int status, Map<String, String> headers, String body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }

    static Response parse(byte[] raw) {
      String text = new String(raw, StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      String[] lines = text.substring(0, end).split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
      return new Response(status, headers, text.substring(end + 4));
    }
  }
}
