package org.vacuum.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.vacuum.config.VacuumConfig;
import org.vacuum.config.VacuumConfig.NodeConfig;
import org.vacuum.node.StartupException;
import org.vacuum.node.VacuumNode;

/**
 * Helpers for tests that run real nodes: free ports, node configs, a factory's vac.conf, HTTP,
 * domains on libvirt's {@code test:///default}, waiting with a deadline.
 */
public final class TestNodes {

  private static final ObjectMapper JSON = new ObjectMapper();

  public static final String SPACE = "vac01.example.com";

  private TestNodes() {}

  public static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Settings for a node named {@code name}.example.com on free ports, H2 unless extra says otherwise. */
  public static Map<String, Object> settings(String name, Path stateDir, int clusterPort, List<String> seeds) {
    Map<String, Object> s = new HashMap<>();
    s.put("vacuum.factory-name", name + ".example.com");
    s.put("vacuum.space", SPACE);
    s.put("vacuum.state-dir", stateDir.toString());
    s.put("vacuum.cluster-port", clusterPort);
    s.put("vacuum.admin.port", 0);
    s.put("vacuum.seed-nodes", seeds);
    // The factory's own files, never the machine's /etc/vac.conf; libvirt's fake hypervisor; an MJF
    // server on a free loopback port.
    s.put("vacuum.vac-conf.dir", stateDir.resolve("etc/vac.d").toString());
    s.put("vacuum.vac-conf.file", stateDir.resolve("etc/vac.conf").toString());
    s.put("vacuum.vac-conf.run-file", stateDir.resolve("run/vac.conf").toString());
    s.put("vacuum.hypervisor.uri", "test:///default");
    s.put("vacuum.mjf.binds", List.of("127.0.0.1:0"));
    // Several nodes in one JVM (DESIGN §9).
    s.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    return s;
  }

  /**
   * {@link #settings} for a factory of {@code slots} one-processor slots that checks its slots every
   * 200 ms and gives a machine 1 s to shut down.
   */
  public static Map<String, Object> factorySettings(String name, Path stateDir, int clusterPort, List<String> seeds,
      int slots) {
    Map<String, Object> s = settings(name, stateDir, clusterPort, seeds);
    s.put("vacuum.slots", slots);
    s.put("vacuum.total-processors", slots);
    s.put("vacuum.slot.check-interval", "200ms");
    s.put("vacuum.slot.shutdown-grace", "1s");
    return s;
  }

  /**
   * Writes the factory's {@code stateDir/etc/vac.conf} (where {@link #settings} points the node) with
   * {@code ROOT_IMAGE} in it standing for a small image file, {@code stateDir/images/root.img},
   * written first unless it is there already.
   */
  public static void writeVacConf(Path stateDir, String vacConf) throws IOException {
    Path image = stateDir.resolve("images/root.img");
    Files.createDirectories(image.getParent());
    if (!Files.exists(image)) {
      Files.write(image, new byte[1 << 20]);
    }
    Path conf = stateDir.resolve("etc/vac.conf");
    Files.createDirectories(conf.getParent());
    Files.writeString(conf, vacConf.replace("ROOT_IMAGE", image.toString()));
  }

  public static NodeConfig config(Map<String, Object> settings) {
    return VacuumConfig.load(Optional.empty(), settings);
  }

  public static VacuumNode start(Map<String, Object> settings) throws StartupException {
    Object uri = settings.getOrDefault("vacuum.hypervisor.uri", "test:///default");
    if ("test:///default".equals(uri)) {
      TestHypervisor.keepAlive();
    }
    return VacuumNode.start(config(settings));
  }

  /**
   * libvirt's test driver frees {@code test:///default}'s domains when its last connection closes;
   * a real libvirtd keeps them whatever vacuum does. One connection held for the JVM's life makes
   * the fake behave like the daemon, so a node that stops and starts again finds its machines.
   */
  private static final class TestHypervisor {
    private static Connect held;

    static synchronized void keepAlive() {
      if (held == null) {
        try {
          held = new Connect("test:///default");
        } catch (LibvirtException e) {
          throw new IllegalStateException("cannot open test:///default (is libvirt0 installed?)", e);
        }
      }
    }
  }

  public static HttpResponse<String> get(VacuumNode node, String path) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** POSTs {@code body} (or nothing, if null) to the node's admin HTTP. */
  public static HttpResponse<String> post(VacuumNode node, String path, String body) throws Exception {
    return HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + node.adminPort() + path))
            .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /** GETs a JSON object that must answer 200; anything else fails the test, naming the URL. */
  public static JsonNode getJson(String url) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new AssertionError("GET " + url + " answered " + r.statusCode() + ": " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted: GET " + url, e);
    }
  }

  /** Sends {@code body} as JSON with {@code method}, asserts the status, and returns the JSON object answered. */
  public static JsonNode sendJson(String url, String method, Map<String, ?> body, int expected) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url))
            .header("Content-Type", "application/json")
            .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new AssertionError(method + " " + url + " answered " + r.statusCode() + ", not " + expected + ": " + r.body());
    }
    JsonNode answer = JSON.readTree(r.body());
    if (!answer.isObject()) {
      throw new AssertionError(method + " " + url + " answered something other than a JSON object: " + r.body());
    }
    return answer;
  }

  /** Waits until the object at {@code url} is in {@code state}; fails with the object after {@code limit}. */
  public static JsonNode awaitState(String url, String state, Duration limit) throws InterruptedException {
    Instant deadline = Instant.now().plus(limit);
    JsonNode current = getJson(url);
    while (!state.equals(current.path("state").asText())) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not " + state + " within " + limit.toSeconds() + " s: " + current.toPrettyString());
      }
      Thread.sleep(100);
      current = getJson(url);
    }
    return current;
  }

  /** Waits until the condition holds, failing with {@code what} after {@code limit}. */
  public static void await(Duration limit, String what, BooleanSupplier condition) throws InterruptedException {
    Instant deadline = Instant.now().plus(limit);
    while (!condition.getAsBoolean()) {
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError("not within " + limit.toSeconds() + " s: " + what);
      }
      Thread.sleep(50);
    }
  }

  /** The id of the running domain of that name on test:///default; fails if there is none. */
  public static int domainId(String name) throws LibvirtException {
    Connect c = new Connect("test:///default");
    try {
      return c.domainLookupByName(name).getID();
    } finally {
      c.close();
    }
  }

  /** Destroys the domain of that name on test:///default, if there is one; fails if test:///default does. */
  public static void destroyDomain(String name) throws LibvirtException {
    Connect c = new Connect("test:///default");
    try {
      c.domainLookupByName(name).destroy();
    } catch (LibvirtException ignored) {
      // no such domain
    } finally {
      c.close();
    }
  }

  /** {@link #destroyDomain} for clean-up: a test:///default that cannot be reached has nothing to clean. */
  public static void destroyDomainIfPresent(String name) {
    try {
      destroyDomain(name);
    } catch (LibvirtException ignored) {
      // no connection: nothing to clean
    }
  }
}
