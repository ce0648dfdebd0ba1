package org.vacuum.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.vacuum.node.VacuumNode;
import org.vacuum.protocol.VacuumVersion;

/**
 * The real {@code bin/vacuum} of the distribution {@code mvn package} built, run as a process:
 * against a running node, and starting nodes that cannot start.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliTest {

  static final Path DIST = Path.of("..", "deploy", "target", "vacuum-" + VacuumVersion.VERSION).toAbsolutePath().normalize();

  @TempDir static Path dir;

  private VacuumNode node;
  private String url;

  record Run(int exit, String out, String err) {}

  @BeforeAll
  void startNode() throws Exception {
    assertTrue(Files.isExecutable(DIST.resolve("bin/vacuum")), "build the distribution first: " + DIST);
    Path image = Files.write(Files.createDirectories(dir.resolve("images")).resolve("root.img"), new byte[4096]);
    Files.createDirectories(dir.resolve("node/etc"));
    Files.writeString(dir.resolve("node/etc/vac.conf"), """
        [settings]
        vac_space = vac01.example.com

        [machinetype lhcb]
        machine_model = vm-raw
        root_image = %s
        """.formatted(image));
    node = TestNodes.start(TestNodes.settings("cli", dir.resolve("node"), TestNodes.freePort(), List.of()));
    url = "http://127.0.0.1:" + node.adminPort();
  }

  @AfterAll
  void stopNode() {
    node.close();
  }

  static Run vacuum(Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(DIST.resolve("bin/vacuum").toString()));
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().remove("VACUUM_URL");
    pb.environment().putAll(env);
    Path out = Files.createTempFile(dir, "out", ".txt");
    Path err = Files.createTempFile(dir, "err", ".txt");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("vacuum " + String.join(" ", args) + " did not finish");
    }
    return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  @Test
  void factoriesJsonIsTheArrayOfFactoryStatusReplies() throws Exception {
    Run run = vacuum(Map.of(), "factories", "--json", "--url", url);
    assertEquals(0, run.exit(), run.err());
    JsonNode array = new ObjectMapper().readTree(run.out());
    assertEquals(1, array.size());
    assertEquals("cli.example.com", array.get(0).get("factory").asText());
    assertEquals("factory_status", array.get(0).get("message_type").asText());
  }

  @Test
  void factoriesPrintsVacsColumns() throws Exception {
    Run run = vacuum(Map.of("VACUUM_URL", url), "factories");
    assertEquals(0, run.exit(), run.err());
    String line = run.out().strip();
    assertTrue(line.matches("cli\\s+0/\\d+\\s+0/\\d+\\s+\\d+\\.\\d\\d\\s+\\d+\\s+\\d+\\s+\\d+/\\d+ \"vacuum .+\""), line);
  }

  @Test
  void factoriesPrintsOnlyTheFactoriesNamed() throws Exception {
    Run run = vacuum(Map.of("VACUUM_URL", url), "factories", "cli");
    assertEquals(0, run.exit(), run.err());
    assertEquals(1, run.out().lines().count(), run.out());
    assertTrue(run.out().startsWith("cli "), run.out());
    Run other = vacuum(Map.of("VACUUM_URL", url), "factories", "elsewhere.example.com");
    assertEquals(0, other.exit(), other.err());
    assertEquals("", other.out());
  }

  @Test
  void machinetypePrintsVacsColumnsOneLinePerFactory() throws Exception {
    Run run = vacuum(Map.of("VACUUM_URL", url), "machinetype", "lhcb");
    assertEquals(0, run.exit(), run.err());
    String line = run.out().strip();
    assertTrue(line.matches("cli\\s+\\d+\\s+\\d+\\.\\d (-|\\d\\d \\w{3} \\d\\d:\\d\\d:\\d\\d) (-|\".*\")"), line);

    Run json = vacuum(Map.of("VACUUM_URL", url), "machinetype", "lhcb", "cli", "--json");
    assertEquals(0, json.exit(), json.err());
    JsonNode array = new ObjectMapper().readTree(json.out());
    assertEquals(1, array.size(), json.out());
    assertEquals("machinetype_status", array.get(0).get("message_type").asText());
    assertEquals("lhcb", array.get(0).get("machinetype").asText());
    assertEquals("cli.example.com", array.get(0).get("factory").asText());

    Run unknown = vacuum(Map.of("VACUUM_URL", url), "machinetype", "nosuch");
    assertEquals(0, unknown.exit(), unknown.err());
    assertEquals("", unknown.out());
  }

  @Test
  void checkIsOkWhileTheHeartbeatsAreFreshAndCriticalWhenStale() throws Exception {
    Run ok = vacuum(Map.of("VACUUM_URL", url), "check");
    assertEquals(0, ok.exit(), ok.out() + ok.err());
    assertTrue(ok.out().strip().matches("Factory \\+ responder ok \\(\\d+/\\d+ \\d+/\\d+\\)"), ok.out());

    // A heartbeat from an earlier second than now is older than a timeout of 0 s.
    TestNodes.await(java.time.Duration.ofSeconds(5), "the factory heartbeat is from an earlier second", () ->
        TestNodes.getJson(url + "/api/v1/factories/cli.example.com").path("factory_heartbeat_time").asLong()
            < System.currentTimeMillis() / 1000);
    Run stale = vacuum(Map.of("VACUUM_URL", url), "check", "0");
    assertEquals(2, stale.exit(), stale.out() + stale.err());
    assertTrue(stale.out().strip().matches("No vacd factory heartbeat in \\d+\\.\\d\\d hours \\(\\d+/\\d+ \\d+/\\d+\\)"),
        stale.out());
  }

  @Test
  void checkIsCriticalWithTheFirstLineOfAFactoryError() throws Exception {
    Path state = dir.resolve("checked");
    Files.createDirectories(state.resolve("etc"));
    Path conf = state.resolve("etc/vac.conf");
    Files.writeString(conf, "[settings]\nvac_space = vac01.example.com\n");
    try (VacuumNode checked = TestNodes.start(TestNodes.settings("checked", state, TestNodes.freePort(), List.of()))) {
      String checkedUrl = "http://127.0.0.1:" + checked.adminPort();
      assertEquals(0, vacuum(Map.of(), "check", "--url", checkedUrl).exit());
      // A rejected vac.conf edit is a factory error, as a failed creation is.
      Files.writeString(conf, "[settings]\nvac_space = vac01.example.com\nudp_timeout_seconds = 0\n");
      TestNodes.await(java.time.Duration.ofSeconds(30), "the bad vac.conf edit is the factory error", () ->
          TestNodes.getJson(checkedUrl + "/api/v1/factories/checked.example.com").path("factory_error").isTextual());
      Run critical = vacuum(Map.of(), "check", "600", "--url", checkedUrl);
      assertEquals(2, critical.exit(), critical.out() + critical.err());
      assertTrue(critical.out().contains("udp_timeout_seconds must be more than 0"), critical.out());
      assertEquals(1, critical.out().lines().count(), critical.out());
    }
  }

  @Test
  void checkIsCriticalWhenTheNodeCannotBeAsked() throws Exception {
    Run run = vacuum(Map.of(), "check", "--url", "http://127.0.0.1:" + TestNodes.freePort());
    assertEquals(2, run.exit());
    assertTrue(run.out().startsWith("cannot reach the vacuum node at"), run.out());
  }

  @Test
  void machinesPrintsVacsColumnsOneLinePerSlot() throws Exception {
    var created = TestNodes.post(node, "/api/v1/factories/cli.example.com/machines", "{\"machinetype\": \"lhcb\"}");
    assertEquals(201, created.statusCode(), created.body());
    Run run = vacuum(Map.of("VACUUM_URL", url), "machines");
    assertEquals(0, run.exit(), run.err());
    List<String> lines = run.out().lines().toList();
    assertTrue(lines.get(0).matches("cli-00\\s+lhcb\\s+Running\\s+1 VM \\d+\\.\\d\\d hrs\\s+\\d+% +\\d+%"), lines.get(0));
    assertTrue(lines.get(1).matches("cli-01\\s+-{10}\\s+Shut down\\s+0 \\?\\?"), lines.get(1));

    Run json = vacuum(Map.of("VACUUM_URL", url), "machines", "--json", "cli");
    JsonNode array = new ObjectMapper().readTree(json.out());
    assertEquals("machine_status", array.get(0).get("message_type").asText());
    assertEquals("cli-00.example.com", array.get(0).get("machine").asText());
    assertEquals("vm-raw", array.get(0).get("machine_model").asText());
    var destroyed = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(url + "/api/v1/machines/cli-00.example.com?reason=test+over")).DELETE().build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, destroyed.statusCode(), destroyed.body());
    assertTrue(destroyed.body().contains("\"finish_reason\" : \"test over\""), destroyed.body());
  }

  @Test
  void vc3EntitiesAreCreatedListedAndShownFromTheCommandLine() throws Exception {
    Run created = vacuum(Map.of("VACUUM_URL", url), "user", "create", "ada", "--set", "first=Ada",
        "--set", "email=ada@example.org");
    assertEquals(0, created.exit(), created.err());
    assertTrue(created.out().contains("email"), created.out());
    Run again = vacuum(Map.of("VACUUM_URL", url), "user", "create", "ada");
    assertEquals(1, again.exit());
    assertTrue(again.err().contains("creating user ada: 409"), again.err());
    Run list = vacuum(Map.of("VACUUM_URL", url), "user", "list");
    assertTrue(list.out().lines().anyMatch(l -> l.matches("ada\\s+new")), list.out());
    Run show = vacuum(Map.of("VACUUM_URL", url), "user", "show", "ada", "--json");
    JsonNode ada = new ObjectMapper().readTree(show.out());
    assertEquals("Ada", ada.get("first").asText());
    Run bad = vacuum(Map.of("VACUUM_URL", url), "nodeinfo", "create", "small", "--set", "cores=many");
    assertEquals(1, bad.exit());
    assertTrue(bad.err().contains("cores"), "the bad field is named: " + bad.err());
    assertEquals(0, vacuum(Map.of("VACUUM_URL", url), "nodeset", "create", "cliworkers", "--set", "node_number=3",
        "--set", "app_type=workqueue", "--set", "app_role=worker-nodes").exit());
    assertEquals(0, vacuum(Map.of("VACUUM_URL", url), "template", "create", "clitemplate",
        "--set", "nodesets=[\"cliworkers\"]").exit());
    assertEquals(0, vacuum(Map.of("VACUUM_URL", url), "cluster", "create", "clicluster",
        "--set", "cluster=clitemplate").exit());
    Run resized = vacuum(Map.of("VACUUM_URL", url), "cluster", "resize", "clicluster", "5", "--json");
    assertEquals(0, resized.exit(), resized.err());
    assertEquals(5, new ObjectMapper().readTree(resized.out()).get("node_number").asInt());
    Run missing = vacuum(Map.of("VACUUM_URL", url), "cluster", "terminate", "nosuch");
    assertEquals(1, missing.exit());
    assertTrue(missing.err().contains("404"), missing.err());
  }

  @Test
  void auditPrintsTheTrailAsATableOrJsonLinesAndRebuildsAccounting() throws Exception {
    Run table = vacuum(Map.of("VACUUM_URL", url), "audit", "--entity", "Factory:cli.example.com");
    assertEquals(0, table.exit(), table.err());
    List<String> lines = table.out().lines().toList();
    assertTrue(lines.get(0).matches("TIME \\(UTC\\)\\s+ENTITY\\s+EVENT\\s+FIELDS"), lines.get(0));
    assertTrue(lines.stream().skip(1).allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d  Factory:cli\\.example\\.com +\\w+ .*")),
        table.out());
    assertTrue(lines.stream().anyMatch(l -> l.contains(" FactoryRegistered ")), table.out());

    Run json = vacuum(Map.of("VACUUM_URL", url), "audit", "--json", "--entity", "Factory");
    assertEquals(0, json.exit(), json.err());
    JsonNode first = new ObjectMapper().readTree(json.out().lines().findFirst().orElseThrow());
    assertEquals("Factory:cli.example.com", first.get("entity").asText());
    assertTrue(first.get("fields").isObject(), first.toString());

    Run bad = vacuum(Map.of("VACUUM_URL", url), "audit", "--since", "yesterday");
    assertEquals(1, bad.exit());
    assertTrue(bad.err().contains("since 'yesterday' is not an ISO-8601 instant"), bad.err());

    Path out = dir.resolve("rebuilt");
    Run rebuilt = vacuum(Map.of("VACUUM_URL", url), "audit", "rebuild-accounting", "202001", "--out", out.toString());
    assertEquals(0, rebuilt.exit(), rebuilt.err());
    assertEquals("0 record(s) for 202001 written to " + out, rebuilt.out().strip());
    assertEquals(2, vacuum(Map.of("VACUUM_URL", url), "audit", "rebuild-accounting", "2020-01", "--out", out.toString()).exit());
  }

  @Test
  void nodeStatusSaysUpAndReady() throws Exception {
    Run run = vacuum(Map.of(), "node", "status", "--url", url);
    assertEquals(0, run.exit(), run.err());
    assertTrue(run.out().contains("status   Up"), run.out());
    assertTrue(run.out().contains("ready    yes"), run.out());
    assertTrue(run.out().contains("factory=cli.example.com"), run.out());
  }

  @Test
  void nodeLeaveMakesTheNodeLeaveTheClusterAndStop() throws Exception {
    VacuumNode leaving = TestNodes.start(TestNodes.settings("leaver", dir.resolve("leaver"), TestNodes.freePort(), List.of()));
    try {
      Run run = vacuum(Map.of(), "node", "leave", "--url", "http://127.0.0.1:" + leaving.adminPort());
      assertEquals(0, run.exit(), run.err());
      assertTrue(run.out().startsWith("leaving: pekko://vacuum@127.0.0.1:"), run.out());
      leaving.whenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    } finally {
      leaving.close();
    }
  }

  @Test
  void anUnreachableNodeExitsThree() throws Exception {
    Run run = vacuum(Map.of(), "factories", "--url", "http://127.0.0.1:" + TestNodes.freePort());
    assertEquals(3, run.exit());
    assertTrue(run.err().startsWith("vacuum: cannot reach the vacuum node at"), run.err());
  }

  @Test
  void badUsageExitsTwo() throws Exception {
    assertEquals(2, vacuum(Map.of(), "factories", "--no-such-option").exit());
    Run help = vacuum(Map.of(), "node", "start", "--help");
    assertEquals(0, help.exit());
    assertTrue(help.out().contains("Exit codes:"), help.out());
  }

  @Test
  void aTakenClusterPortStopsStartWithOneClearLine() throws Exception {
    startWithOnePortTaken("VACUUM_CLUSTER_PORT", "VACUUM_ADMIN_PORT", "cluster port 127.0.0.1:%d is in use");
  }

  @Test
  void aTakenAdminPortStopsStartWithOneClearLine() throws Exception {
    startWithOnePortTaken("VACUUM_ADMIN_PORT", "VACUUM_CLUSTER_PORT", "admin HTTP port 127.0.0.1:%d cannot be bound");
  }

  /** Starts a node whose {@code takenEnv} port is held by another socket; it must say so and exit 1. */
  private void startWithOnePortTaken(String takenEnv, String freeEnv, String expected) throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      String name = takenEnv.toLowerCase().replace('_', '-');
      Run run = vacuum(Map.of("VACUUM_FACTORY_NAME", name + ".example.com",
              takenEnv, String.valueOf(taken.getLocalPort()),
              freeEnv, String.valueOf(TestNodes.freePort())),
          "node", "start", "--state-dir", dir.resolve(name).toString());
      assertEquals(1, run.exit());
      assertTrue(run.err().contains("vacuum: cannot start: " + String.format(expected, taken.getLocalPort())), run.err());
    }
  }

  @Test
  void aSecondNodeOnTheSameStateDirectoryIsToldWhy() throws Exception {
    Run run = vacuum(Map.of("VACUUM_FACTORY_NAME", "twin.example.com",
            "VACUUM_CLUSTER_PORT", String.valueOf(TestNodes.freePort()),
            "VACUUM_ADMIN_PORT", String.valueOf(TestNodes.freePort())),
        "node", "start", "--state-dir", dir.resolve("node").toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("vacuum: cannot start: the H2 journal under " + dir.resolve("node/journal")
        + " cannot be opened: Database may be already in use"), run.err());
    assertTrue(run.err().contains("(is another vacuum node using this state directory?)"), run.err());
  }

  @Test
  void sigtermMakesAStartedNodeLeaveGracefullyAndExit() throws Exception {
    int adminPort = TestNodes.freePort();
    Path log = dir.resolve("sigterm.log");
    ProcessBuilder pb = new ProcessBuilder(DIST.resolve("bin/vacuum").toString(), "node", "start",
        "--state-dir", dir.resolve("sigterm").toString())
        .redirectErrorStream(true).redirectOutput(log.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    pb.environment().putAll(Map.of("VACUUM_FACTORY_NAME", "term.example.com",
        "VACUUM_CLUSTER_PORT", String.valueOf(TestNodes.freePort()), "VACUUM_ADMIN_PORT", String.valueOf(adminPort)));
    Process node = pb.start();
    try {
      TestNodes.await(java.time.Duration.ofSeconds(60), "the node started as a process is ready",
          () -> vacuumQuietly("node", "status", "--url", "http://127.0.0.1:" + adminPort) == 0);
      node.destroy(); // SIGTERM
      assertTrue(node.waitFor(60, TimeUnit.SECONDS), "the node did not stop after SIGTERM");
      assertEquals(143, node.exitValue(), "killed by SIGTERM, after the JVM's shutdown hooks ran");
      String output = Files.readString(log);
      assertTrue(output.contains("as [Leaving]") && output.contains("Exiting completed"), output);
      assertTrue(output.contains("vacuum node stopped"), output);
    } finally {
      node.destroyForcibly();
    }
  }

  private static int vacuumQuietly(String... args) {
    try {
      return vacuum(Map.of(), args).exit();
    } catch (IOException | InterruptedException e) {
      return -1;
    }
  }

  @Test
  void aBadConfigFileIsNamedWithItsLine() throws Exception {
    Path conf = dir.resolve("bad.conf");
    Files.writeString(conf, "vacuum {\n  space = \"vac01.example.com\"\n  census-timeout = soon\n}\n");
    Run run = vacuum(Map.of("VACUUM_FACTORY_NAME", "p3.example.com"), "node", "start", "--config", conf.toString(),
        "--state-dir", dir.resolve("p3").toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("vacuum: bad configuration: " + conf + ": 3"), run.err());
  }

  @Test
  void aMissingConfigFileIsNamed() throws Exception {
    Run run = vacuum(Map.of(), "node", "start", "--config", dir.resolve("absent.conf").toString());
    assertEquals(1, run.exit());
    assertTrue(run.err().contains("config file " + dir.resolve("absent.conf") + " does not exist"), run.err());
  }
}
