package org.vacuum.hypervisor.mjf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.vacuum.hypervisor.machine.MachineDirectory;

/**
 * The HTTP server machines use for Machine/Job Features, cloud metadata and joboutputs
 * (reference/vac.md §4.2). One route set is served on every bound address: Vac listens on
 * 169.254.169.253:80 for MJF and 169.254.169.254:80 for metadata, and the two route sets do not
 * collide.
 *
 * <p>A request is answered for the machine its source address names: the address must start with
 * the configured prefix (Vac's {@code 169.254.169.}) and the rest must be a slot ordinal 0-99 that
 * {@link MachineLookup} knows. There is no other authentication, as in Vac. A GET from an unknown
 * address gets 404, a PUT 403.
 *
 * <p>Routes, after runs of {@code /} are folded to one:
 * <ul>
 *   <li>{@code GET /machinefeatures[/]}, {@code /jobfeatures[/]}: an HTML {@code <ul>} of links to
 *       the keys; {@code GET /machinefeatures/<key>}: the raw value. A path containing {@code /../}
 *       or deeper than one key gets 404, and so does any GET of {@code /joboutputs}.
 *   <li>{@code PUT /joboutputs/<name>} with a Content-Length: the body replaces {@code
 *       joboutputs/<name>} atomically, the {@link JoboutputListener} is told, the answer is 201;
 *       anything wrong is 403.
 *   <li>{@code GET /<YYYY-MM-DD>/...} ({@code /latest/} counts as a date): {@code user-data} and
 *       {@code openstack/<date>/user-data} (the user_data file), {@code meta-data.json} and {@code
 *       openstack/<date>/meta-data.json}, {@code meta-data} and {@code meta-data/} (a fixed listing,
 *       also under {@code openstack/}), {@code meta-data/public-keys/0/openssh-key}, {@code
 *       meta-data/ami-id} and {@code meta-data/instance-id} (the uuid). Without a root public key
 *       file the JSON has no {@code public_keys} and the key route is 404, as in Vac.
 *   <li>Anything else: 404; methods other than GET and PUT: 405.
 * </ul>
 * Bodies are text/html if they start with {@code <html>}, application/json for the JSON route,
 * else text/plain. The Server header says {@code vacuum mjf server} for the MJF routes and {@code
 * vacuum metadata server} for the rest.
 *
 * <p>The server reads the machine's directory at every request and caches nothing, so features
 * rewritten on disk are served at once. Threads: a small fixed pool shared by all addresses.
 */
public final class MjfServer implements AutoCloseable {

  static final String MJF_SERVER = "vacuum mjf server";
  static final String METADATA_SERVER = "vacuum metadata server";
  static final String METADATA_LISTING = "public-keys/0/openssh-key\nami-id\ninstance-id\n";

  private static final Logger log = LoggerFactory.getLogger(MjfServer.class);
  private static final int THREADS = 4;
  private static final int BACKLOG = 256;

  private static final String DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}";
  private static final Pattern USER_DATA = Pattern.compile("/(openstack/)?" + DATE + "/user-data");
  private static final Pattern META_DATA_JSON = Pattern.compile("/(openstack/)?" + DATE + "/meta-data\\.json");
  // Without the slash too: Cloud-Init 0.7.5 asks for the listing that way.
  private static final Pattern META_DATA_LISTING = Pattern.compile("/(openstack/)?" + DATE + "/meta-data/?");
  private static final Pattern OPENSSH_KEY = Pattern.compile("/" + DATE + "/meta-data/public-keys/0/openssh-key");
  private static final Pattern INSTANCE_ID = Pattern.compile("/" + DATE + "/meta-data/(ami-id|instance-id)");
  private static final Pattern ORDINAL = Pattern.compile("[0-9]{1,2}");

  private static final Reply NOT_FOUND = Reply.text(404, "not found\n");
  private static final Reply FORBIDDEN = Reply.text(403, "forbidden\n");
  private static final Reply CREATED = new Reply(201, new byte[0], null);

  private final List<HttpServer> servers;
  private final ExecutorService executor;
  private final String addressPrefix;
  private final String guestUrl;
  private final MachineLookup lookup;
  private final JoboutputListener listener;
  private final ObjectMapper json = new ObjectMapper();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Instant lastMjfRequest;
  private volatile Instant lastMetadataRequest;

  private MjfServer(
      ExecutorService executor, String addressPrefix, String guestUrl, MachineLookup lookup, JoboutputListener listener) {
    this.servers = new ArrayList<>();
    this.executor = executor;
    this.addressPrefix = addressPrefix;
    this.guestUrl = guestUrl.endsWith("/") ? guestUrl.substring(0, guestUrl.length() - 1) : guestUrl;
    this.lookup = lookup;
    this.listener = listener;
  }

  /**
   * Binds every address and starts serving. If one address cannot be bound, the others are released
   * and the error names the address.
   *
   * @param addressPrefix what a machine's source address starts with, ending in {@code .} (Vac's
   *     {@code 169.254.169.}); the rest of the address is the slot ordinal
   * @param guestUrl how machines reach this server, e.g. {@code http://169.254.169.253}, for the
   *     URLs in meta-data.json
   */
  public static MjfServer start(
      List<InetSocketAddress> binds,
      String addressPrefix,
      String guestUrl,
      MachineLookup lookup,
      JoboutputListener listener) throws IOException {
    if (binds.isEmpty()) {
      throw new IllegalArgumentException("the MJF server needs at least one address to listen on");
    }
    if (!addressPrefix.endsWith(".")) {
      throw new IllegalArgumentException(
          "MJF address prefix '" + addressPrefix + "' must end with '.' (the slot ordinal follows it)");
    }
    AtomicInteger threadNumber = new AtomicInteger();
    ExecutorService executor = Executors.newFixedThreadPool(THREADS, r -> {
      Thread t = new Thread(r, "mjf-server-" + threadNumber.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    MjfServer server = new MjfServer(executor, addressPrefix, guestUrl, lookup, listener);
    for (InetSocketAddress bind : binds) {
      HttpServer http;
      try {
        http = HttpServer.create(bind, BACKLOG);
      } catch (IOException e) {
        server.close();
        throw new IOException("the MJF server cannot listen on " + bind.getHostString() + ":" + bind.getPort() + ": " + e, e);
      }
      http.createContext("/", server::handle);
      http.setExecutor(executor);
      http.start();
      server.servers.add(http);
    }
    log.info("MJF and metadata server listening on {} for machines at {}*", server.addresses(), addressPrefix);
    return server;
  }

  /** The bound addresses, with the real port where port 0 was asked for. */
  public List<InetSocketAddress> addresses() {
    return servers.stream().map(HttpServer::getAddress).toList();
  }

  /** When an MJF or joboutputs request last arrived (Vac's mjf heartbeat); empty before the first. */
  public Optional<Instant> lastMjfRequest() {
    return Optional.ofNullable(lastMjfRequest);
  }

  /** When a metadata request last arrived (Vac's metadata heartbeat); empty before the first. */
  public Optional<Instant> lastMetadataRequest() {
    return Optional.ofNullable(lastMetadataRequest);
  }

  /** Stops listening at once and drops requests in flight. Idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (HttpServer http : servers) {
      http.stop(0);
    }
    executor.shutdownNow();
  }

  private record Reply(int code, byte[] body, String contentType) {
    static Reply text(int code, String body) {
      return new Reply(code, body.getBytes(StandardCharsets.UTF_8), "text/plain");
    }

    /** Vac's rule: HTML if the body says so, else plain text. */
    static Reply ok(byte[] body) {
      boolean html = body.length >= 6 && new String(body, 0, 6, StandardCharsets.ISO_8859_1).equals("<html>");
      return new Reply(200, body, html ? "text/html" : "text/plain");
    }
  }

  private void handle(HttpExchange exchange) {
    try {
      String path = requestPath(exchange.getRequestURI()).replaceAll("/{2,}", "/");
      boolean mjf = isMjfPath(path);
      if (mjf) {
        lastMjfRequest = Instant.now();
      } else {
        lastMetadataRequest = Instant.now();
      }
      exchange.getResponseHeaders().set("Server", mjf ? MJF_SERVER : METADATA_SERVER);
      Optional<MachineView> machine = identify(exchange.getRemoteAddress());
      Reply reply = switch (exchange.getRequestMethod()) {
        case "GET" -> machine.isEmpty() ? NOT_FOUND : (mjf ? getMjf(machine.get(), path) : getMetadata(machine.get(), path));
        case "PUT" -> machine.isEmpty() ? FORBIDDEN : put(machine.get(), path, exchange);
        default -> {
          exchange.getResponseHeaders().set("Allow", "GET, PUT");
          yield Reply.text(405, "method not allowed\n");
        }
      };
      send(exchange, reply);
    } catch (IOException | RuntimeException e) {
      log.warn("MJF server: {} {} from {} failed", exchange.getRequestMethod(), exchange.getRequestURI(),
          exchange.getRemoteAddress(), e);
      if (exchange.getResponseCode() < 0) {
        try {
          send(exchange, Reply.text(500, "internal error\n"));
        } catch (IOException ignored) {
          // The client is gone or the answer was half sent; closing below is all that is left.
        }
      }
    } finally {
      exchange.close();
    }
  }

  /**
   * The path exactly as the request line has it, undecoded. Not {@link URI#getRawPath}: a path
   * starting {@code //} would parse as an authority, and Vac folds it instead.
   */
  static String requestPath(URI uri) {
    String s = uri.toString();
    for (char end : new char[] {'?', '#'}) {
      int i = s.indexOf(end);
      if (i >= 0) {
        s = s.substring(0, i);
      }
    }
    int scheme = s.indexOf("://");
    if (scheme > 0 && !s.startsWith("/")) {
      // An absolute-form request line (as to a proxy): drop scheme and authority.
      int slash = s.indexOf('/', scheme + 3);
      s = slash < 0 ? "/" : s.substring(slash);
    }
    return s.isEmpty() ? "/" : s;
  }

  private static boolean isMjfPath(String path) {
    String[] segments = path.split("/", -1);
    String first = segments.length > 1 ? segments[1] : "";
    return first.equals("machinefeatures") || first.equals("jobfeatures") || first.equals("joboutputs");
  }

  private Optional<MachineView> identify(InetSocketAddress remote) {
    InetAddress address = remote == null ? null : remote.getAddress();
    if (!(address instanceof Inet4Address)) {
      return Optional.empty();
    }
    String ip = address.getHostAddress();
    if (!ip.startsWith(addressPrefix)) {
      return Optional.empty();
    }
    String rest = ip.substring(addressPrefix.length());
    if (!ORDINAL.matcher(rest).matches()) {
      return Optional.empty();
    }
    return lookup.byOrdinal(Integer.parseInt(rest));
  }

  private Reply getMjf(MachineView machine, String path) throws IOException {
    String[] segments = path.split("/", -1);
    if (path.contains("/../") || segments.length > 3) {
      return NOT_FOUND;
    }
    Path area;
    switch (segments[1]) {
      case "machinefeatures" -> area = machine.directory().machinefeatures();
      case "jobfeatures" -> area = machine.directory().jobfeatures();
      default -> {
        // GET of joboutputs is not offered: what machines write is for the factory only.
        return NOT_FOUND;
      }
    }
    if (segments.length == 2 || segments[2].isEmpty()) {
      return listing(segments[1], area);
    }
    String key = segments[2];
    if (key.equals(".") || key.equals("..")) {
      return NOT_FOUND;
    }
    return readFile(area.resolve(key));
  }

  private static Reply listing(String areaName, Path area) throws IOException {
    List<String> keys;
    try (Stream<Path> files = Files.list(area)) {
      keys = files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).sorted().toList();
    } catch (NoSuchFileException e) {
      return NOT_FOUND;
    }
    StringBuilder html = new StringBuilder("<html><body><ul>");
    for (String key : keys) {
      String escaped = escapeHtml(key);
      // Absolute links, so they work whether or not the request had the trailing slash.
      html.append("<li><a href=\"/").append(areaName).append('/').append(escaped).append("\">")
          .append(escaped).append("</a></li>");
    }
    html.append("</ul></body></html>");
    return Reply.ok(html.toString().getBytes(StandardCharsets.UTF_8));
  }

  private Reply getMetadata(MachineView machine, String path) throws IOException {
    // Vac's trick: "latest" is just one more dated version.
    String dated = path.replace("/latest/", "/0000-00-00/");
    MachineDirectory dir = machine.directory();
    if (USER_DATA.matcher(dated).matches()) {
      return readFile(dir.userDataFile());
    }
    if (META_DATA_JSON.matcher(dated).matches()) {
      return metaDataJson(machine);
    }
    if (META_DATA_LISTING.matcher(dated).matches()) {
      return Reply.ok(METADATA_LISTING.getBytes(StandardCharsets.UTF_8));
    }
    if (OPENSSH_KEY.matcher(dated).matches()) {
      return readFile(dir.rootPublicKeyFile());
    }
    Matcher instance = INSTANCE_ID.matcher(dated);
    if (instance.matches()) {
      return Reply.ok(machine.uuid().toString().getBytes(StandardCharsets.UTF_8));
    }
    return NOT_FOUND;
  }

  private Reply metaDataJson(MachineView machine) throws IOException {
    Map<String, Object> metaData = new LinkedHashMap<>();
    metaData.put("availability_zone", machine.factory());
    Path keyFile = machine.directory().rootPublicKeyFile();
    try {
      metaData.put("public_keys", Map.of("0", Files.readString(keyFile, StandardCharsets.UTF_8)));
    } catch (NoSuchFileException e) {
      // No key configured on the factory: Vac leaves public_keys out.
    }
    metaData.put("uuid", machine.uuid().toString());
    metaData.put("hostname", machine.name());
    metaData.put("name", machine.name());
    Map<String, String> meta = new LinkedHashMap<>();
    meta.put("machinefeatures", guestUrl + "/machinefeatures");
    meta.put("jobfeatures", guestUrl + "/jobfeatures");
    meta.put("joboutputs", guestUrl + "/joboutputs");
    meta.put("machinetype", machine.machinetype());
    metaData.put("meta", meta);
    return new Reply(200, json.writeValueAsBytes(metaData), "application/json");
  }

  private Reply put(MachineView machine, String path, HttpExchange exchange) {
    String[] segments = path.split("/", -1);
    if (segments.length != 3 || !segments[1].equals("joboutputs") || segments[2].isEmpty()) {
      return FORBIDDEN;
    }
    String name = segments[2];
    String contentLength = exchange.getRequestHeaders().getFirst("Content-Length");
    long length;
    try {
      length = Long.parseLong(contentLength == null ? "" : contentLength.trim());
    } catch (NumberFormatException e) {
      return FORBIDDEN;
    }
    if (length < 0) {
      return FORBIDDEN;
    }
    try {
      machine.directory().writeJoboutput(name, exchange.getRequestBody(), length);
    } catch (IOException | IllegalArgumentException e) {
      log.warn("{}: cannot store joboutputs/{} from the machine: {}", machine.name(), name, e.getMessage());
      return FORBIDDEN;
    }
    log.debug("{}: wrote joboutputs/{} ({} bytes)", machine.name(), name, length);
    try {
      listener.written(machine, name);
    } catch (RuntimeException e) {
      log.warn("{}: joboutputs listener failed for {}", machine.name(), name, e);
    }
    return CREATED;
  }

  private static Reply readFile(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      return NOT_FOUND;
    }
    try {
      return Reply.ok(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return NOT_FOUND;
    }
  }

  private static void send(HttpExchange exchange, Reply reply) throws IOException {
    if (reply.contentType() != null) {
      exchange.getResponseHeaders().set("Content-Type", reply.contentType());
    }
    // -1 is the JDK server's "no body"; 0 would mean chunked.
    exchange.sendResponseHeaders(reply.code(), reply.body().length == 0 ? -1 : reply.body().length);
    if (reply.body().length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(reply.body());
      }
    }
  }

  private static String escapeHtml(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
